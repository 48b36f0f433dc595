/**
 * Streaming dosage matrix reader (Breedbase `dosage_transposed.csv`): the first header cell is
 * empty, the other header cells name markers, each row is a sample, each cell the expected
 * alternate-allele dosage (0..ploidy, fractional). The delimiter is sniffed from the header
 * (the reference file is tab-separated despite its `.csv` name).
 *
 * Calls carry `dosage` only: there is no GT, and no allele letters, so `genotype`, `ref` and
 * `alt` are null. Missing: empty, `NA`, `.` and the sentinel `-1` give a call with null dosage.
 * A non-numeric or negative (other than -1) value is a cell error. Calls are emitted in the
 * file's sample-major order; each variant is emitted once, from the header.
 */
import { genotypeOnly, type VariantRow } from './batch-builders.js';
import { splitDelimited } from './delimited-line.js';
import type { ByteChunks, GenotypeEvent, GenotypeParseOptions } from './genotype-event.js';
import { readLines } from './line-reader.js';
import { ParseRun } from './parse-run.js';

const MISSING = new Set(['', 'NA', '.', '-1', 'NaN']);

/** Sniffs the delimiter of a header line: tab, comma or semicolon, whichever splits most. */
export function sniffDelimiter(header: string): string {
  const counts = ['\t', ',', ';'].map((d) => [d, header.split(d).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[0] ?? '\t';
}

/** Parses a samples × markers dosage matrix into long-form calls (dosage only). */
export async function* parseDosageMatrix(chunks: ByteChunks, options: GenotypeParseOptions = {}): AsyncGenerator<GenotypeEvent> {
  const run = new ParseRun('dosage-matrix', options);
  let delimiter = '\t';
  let variants: VariantRow[] | null = null;
  let sampleNames: string[] = [];
  const seen = new Set<string>();
  let lines = 0;
  for await (const { text, line, invalidUtf8 } of readLines(chunks)) {
    lines = line;
    if (invalidUtf8) run.warning({ line, rule: 'encoding-invalid', message: 'line is not valid UTF-8; invalid bytes were replaced by U+FFFD', raw: text });
    if (text.trim() === '') continue;
    if (!variants) {
      delimiter = sniffDelimiter(text);
      const header = splitDelimited(text, delimiter);
      while (header.length > 1 && header[header.length - 1] === '') header.pop();
      variants = header.slice(1).map((marker) => ({ variantId: marker, chrom: null, pos: null, ref: null, alt: null, qual: null, filter: null, info: null, sourceLine: BigInt(line) }));
      for (const v of variants) {
        if (v.variantId === '') run.warning({ line, rule: 'marker-name-empty', message: 'a marker column has an empty name', raw: '' });
        run.variant(v);
      }
      // The sample list is only known at the end of a sample-major file; it is announced then.
    } else {
      const fields = splitDelimited(text, delimiter);
      const sample = fields[0] ?? '';
      sampleNames.push(sample);
      if (seen.has(sample)) run.warning({ line, sample, rule: 'sample-duplicate', message: `sample "${sample}" has a second row`, raw: sample });
      seen.add(sample);
      // One sample row holds one cell per marker: counted as one "line" of `variants.length` cells.
      run.expectCells(variants.length);
      variants.forEach((variant, m) => {
        const raw = fields[m + 1];
        if (raw === undefined) {
          run.cellError({ line, sample, column: variant.variantId, rule: 'cell-missing', message: `row has ${fields.length} fields; marker "${variant.variantId}" is missing`, raw: '' });
          return;
        }
        const value = raw.trim();
        if (MISSING.has(value)) {
          run.call({ ...variant, sourceLine: BigInt(line) }, sample, genotypeOnly(null, false, null));
          return;
        }
        const dosage = Number(value);
        if (!Number.isFinite(dosage) || dosage < 0) {
          run.cellError({ line, sample, column: variant.variantId, rule: 'dosage-invalid', message: `dosage "${raw}" is not a non-negative number`, raw });
          return;
        }
        run.call({ ...variant, sourceLine: BigInt(line) }, sample, { ...genotypeOnly(null, false, null), dosage });
      });
      const extra = fields.slice(variants.length + 1);
      if (extra.some((f) => f.trim() !== '')) run.lineError({ line, rule: 'row-extra-fields', message: `row has ${extra.length} field(s) past the last marker`, raw: extra.join(delimiter) });
    }
    yield* run.drain();
  }
  if (!variants) run.lineError({ line: Math.max(1, lines), rule: 'header-missing', message: 'the file has no header line', raw: '' });
  run.samples(sampleNames);
  sampleNames = [];
  yield* run.finish(lines);
}
