/**
 * Genotypes written as bases (HapMap `AG`, IUPAC `R`, KASP/Intertek `T:G`) turned into allele
 * indices against a declared allele list. Unphased by nature, so they normalize to sorted `0/1`.
 */
import type { IndexGenotype } from './genotype-call.js';

/** IUPAC ambiguity codes as the diploid genotype TASSEL and HapMap mean by them. */
const IUPAC: Record<string, [string, string]> = {
  A: ['A', 'A'],
  C: ['C', 'C'],
  G: ['G', 'G'],
  T: ['T', 'T'],
  R: ['A', 'G'],
  Y: ['C', 'T'],
  S: ['C', 'G'],
  W: ['A', 'T'],
  K: ['G', 'T'],
  M: ['A', 'C'],
  '+': ['+', '+'],
  '-': ['-', '-'],
};

/** Whole-call spellings of "no call". */
const MISSING = new Set(['N', 'NN', '', '.', './.', 'NA', '00', '?', 'N/N', 'N:N']);
const BASE_ALLELE = /^[ACGT+-]+$/;

/**
 * Reads an alleles declaration (`A/G`, `G/G`, `A/C/T`, `-/A`): the first allele is the
 * reference, the others (deduplicated, reference removed) the alternates. Returns a message when
 * it is not a list of base alleles.
 */
export function readAlleleList(text: string): { ref: string; alt: string[] } | string {
  const parts = text.toUpperCase().split('/');
  if (parts.some((p) => !BASE_ALLELE.test(p))) return `alleles "${text}" is not a "/"-separated list of bases (A, C, G, T, +, -)`;
  const [ref, ...rest] = parts as [string, ...string[]];
  const alt = [...new Set(rest)].filter((a) => a !== ref);
  return { ref, alt };
}

/** True when the text spells a missing call. */
export function isMissingBaseCall(text: string): boolean {
  return MISSING.has(text.toUpperCase());
}

/**
 * A base call as allele indices into `[ref, ...alt]`, or a message naming the bad text.
 * Accepts `AG`, `A/G`, `A:G`, `A|G` and single IUPAC codes; `N` halves are missing alleles.
 */
export function readBaseCall(text: string, alleles: readonly string[]): IndexGenotype | string {
  const upper = text.toUpperCase();
  if (MISSING.has(upper)) return { alleles: [null, null], separators: ['/'] };
  let bases: string[];
  if (/[/:|]/.test(upper)) bases = upper.split(/[/:|]/);
  else if (upper.length === 1) {
    const pair = IUPAC[upper];
    if (!pair) return `call "${text}" is not a base or IUPAC code`;
    bases = pair;
  } else if (upper.length === 2) bases = [upper[0] as string, upper[1] as string];
  else return `call "${text}" is not two bases, "X:Y" or an IUPAC code`;
  const indices: (number | null)[] = [];
  for (const base of bases) {
    if (base === 'N') {
      indices.push(null);
      continue;
    }
    const i = alleles.indexOf(base);
    if (i === -1) return `call "${text}" has allele "${base}", which is not one of the declared alleles ${alleles.join('/')}`;
    indices.push(i);
  }
  return { alleles: indices, separators: indices.slice(1).map(() => '/') };
}
