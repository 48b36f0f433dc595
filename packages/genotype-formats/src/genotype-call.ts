/**
 * Genotypes as allele indices (0 = ref, 1.. = alt, null = missing) and their one normalized text
 * form shared by every format:
 *
 * - unphased (`/`): indices sorted ascending, missing last — `1/0` → `0/1`, `./1` → `1/.`;
 * - phased (`|` between every pair): order kept — `1|0` stays `1|0`;
 * - mixed separators (`0/1|2`): kept as written, `phased` false;
 * - haploid: the single index (`0`, `.`).
 */

/** A genotype as indices and the separators between them (`separators.length === alleles.length - 1`). */
export interface IndexGenotype {
  alleles: (number | null)[];
  separators: string[];
}

/** A normalized genotype. */
export interface NormalizedGenotype {
  text: string;
  phased: boolean;
}

/**
 * Parses VCF GT text (`0/1`, `1|0`, `./.`, `2`). VCF 4.4's leading phase marker of a haploid
 * call (`|0`) is accepted and dropped. Returns a message naming the bad text when invalid.
 */
export function parseIndexGenotype(text: string): IndexGenotype | string {
  let body = text;
  if (body.length > 1 && (body[0] === '/' || body[0] === '|')) body = body.slice(1);
  if (body === '') return `genotype is empty`;
  const alleles: (number | null)[] = [];
  const separators: string[] = [];
  let token = '';
  for (let i = 0; i <= body.length; i++) {
    const ch = body[i];
    if (ch === undefined || ch === '/' || ch === '|') {
      if (token === '.') alleles.push(null);
      else if (/^\d{1,9}$/.test(token)) alleles.push(Number(token));
      else return `genotype "${text}" has an invalid allele "${token}" (expected an index or ".")`;
      if (ch !== undefined) separators.push(ch);
      token = '';
    } else {
      token += ch;
    }
  }
  return { alleles, separators };
}

/** The normalized text and phasing of a genotype. */
export function normalizeGenotype(g: IndexGenotype): NormalizedGenotype {
  const { alleles, separators } = g;
  if (alleles.length === 1) return { text: indexText(alleles[0] ?? null), phased: false };
  if (separators.every((s) => s === '|')) return { text: alleles.map(indexText).join('|'), phased: true };
  if (separators.every((s) => s === '/')) {
    const sorted = [...alleles].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
    return { text: sorted.map(indexText).join('/'), phased: false };
  }
  let text = indexText(alleles[0] ?? null);
  for (let i = 1; i < alleles.length; i++) text += (separators[i - 1] as string) + indexText(alleles[i] ?? null);
  return { text, phased: false };
}

function indexText(index: number | null): string {
  return index === null ? '.' : String(index);
}

/**
 * Number of alternate alleles in a fully called diploid genotype at a site with at most one
 * alternate allele; null otherwise. Monomorphic sites (no ALT) count too: their 0/0 has dosage
 * 0, which is unambiguous. Multi-allelic sites give null because one count cannot say which
 * alternate allele it counts.
 */
export function alleleDosage(alleles: readonly (number | null)[], altCount: number): number | null {
  if (alleles.length !== 2 || altCount > 1) return null;
  const [a, b] = alleles;
  if (a === null || b === null || a === undefined || b === undefined) return null;
  return (a > 0 ? 1 : 0) + (b > 0 ? 1 : 0);
}

/** The highest allele index a genotype references, or -1 when it references none. */
export function maxAlleleIndex(alleles: readonly (number | null)[]): number {
  let max = -1;
  for (const a of alleles) if (a !== null && a > max) max = a;
  return max;
}
