/**
 * Streaming DArTseq "SNP 1-row" reader (DArT's `Report_…_SNP_singlerow.csv`).
 *
 * Layout: rows whose first field is `*` come first; their `*` cells pad the marker-metadata
 * columns and their other cells annotate samples (plate well, block, germplasm, …). Then the
 * header (AlleleID, CloneID, …, SNP, SnpPosition, …, then sample names), then one row per SNP.
 * The number of `*` cells fixes how many metadata columns precede the samples; without padded
 * rows the samples start after the last known DArT metadata column.
 *
 * Code mapping (DArT's documented 1-row coding), with REF/ALT from the `SNP` column (`13:G>A`):
 *
 * | code | meaning                          | genotype |
 * |------|----------------------------------|----------|
 * | `0`  | homozygous for the reference     | `0/0`    |
 * | `1`  | homozygous for the SNP allele    | `1/1`    |
 * | `2`  | heterozygous                     | `0/1`    |
 * | `-`  | missing                          | `./.`    |
 *
 * Checked against the HapMap export of the same variant set (Variant_4_Hapmap.tsv): every call
 * agrees under this mapping (see the test). DArT gives no genome coordinates unless
 * `Chrom_…`/`ChromPos_…` columns are present, so chrom/pos are null otherwise.
 */
import { genotypeOnly, type VariantRow } from './batch-builders.js';
import { headerSamples, splitDelimited } from './delimited-line.js';
import type { ByteChunks, GenotypeEvent, GenotypeParseOptions } from './genotype-event.js';
import { readLines } from './line-reader.js';
import { ParseRun } from './parse-run.js';

const CODES: Record<string, { genotype: string; dosage: number | null }> = {
  '0': { genotype: '0/0', dosage: 0 },
  '1': { genotype: '1/1', dosage: 2 },
  '2': { genotype: '0/1', dosage: 1 },
  '-': { genotype: './.', dosage: null },
};

/** DArT's marker-metadata column names (used only when no `*` rows say where samples start). */
const KNOWN_METADATA = new Set(
  'AlleleID CloneID ClusterTempIndex AlleleSequence ClusterConsensusSequence ClusterSize AlleleSeqDist SNP SnpPosition CallRate OneRatioRef OneRatioSnp FreqHomRef FreqHomSnp FreqHets PICRef PICSnp AvgPIC AvgCountRef AvgCountSnp RatioAvgCountRefAvgCountSnp FreqHetsMinusFreqMinHom AlleleCountsCorrelation aggregateTagsTotal DerivedCorrMinusSeedCorr RepRef RepSNP RepAvg PicRepRef PicRepSNP TotalPicRepRefTest TotalPicRepSnpTest'.split(
    ' ',
  ),
);
const SNP = /(?:^|:)([ACGT]+)>([ACGT]+)$/;

interface DartLayout {
  metaColumns: string[];
  samples: string[];
  snp: number;
  chrom: number;
  chromPos: number;
}

/** Parses a DArTseq 1-row SNP CSV into long-form calls, variants, issues and a summary. */
export async function* parseDartseq(chunks: ByteChunks, options: GenotypeParseOptions = {}): AsyncGenerator<GenotypeEvent> {
  const run = new ParseRun('dartseq', options);
  const padded: string[][] = [];
  let layout: DartLayout | null = null;
  let lines = 0;
  for await (const { text, line, invalidUtf8 } of readLines(chunks)) {
    lines = line;
    if (invalidUtf8) run.warning({ line, rule: 'encoding-invalid', message: 'line is not valid UTF-8; invalid bytes were replaced by U+FFFD', raw: text });
    if (text.trim() === '') continue;
    const fields = splitDelimited(text, ',');
    if (!layout && fields[0] === '*') padded.push(fields);
    else if (!layout) {
      layout = readHeader(fields, padded, line, run);
      const first = layout.metaColumns.length;
      const annotations = padded.map((row) => layout?.samples.map((_, i) => row[first + i] ?? '') ?? []);
      run.samples(layout.samples, annotations.length > 0 ? annotations : undefined);
    } else readSnpRow(fields, text, line, layout, run);
    yield* run.drain();
  }
  if (!layout) run.lineError({ line: Math.max(1, lines), rule: 'header-missing', message: 'the file has no header row after its "*" rows', raw: '' });
  yield* run.finish(lines);
}

function readHeader(fields: string[], padded: string[][], line: number, run: ParseRun): DartLayout {
  let first: number;
  if (padded.length > 0) {
    first = (padded[0] as string[]).findIndex((f) => f !== '*');
    if (first === -1) first = (padded[0] as string[]).length;
  } else {
    let last = -1;
    fields.forEach((f, i) => {
      if (KNOWN_METADATA.has(f) || /^Chrom(Pos)?_/.test(f)) last = i;
    });
    first = last + 1;
    run.warning({ line, rule: 'padding-missing', message: `no "*" rows above the header; samples assumed to start at column ${first + 1}, after the last known DArT column`, raw: fields[last] ?? '' });
  }
  if (fields[0] !== 'AlleleID') run.warning({ line, column: 'AlleleID', rule: 'header-column-unexpected', message: `header column 1 is "${fields[0]}", expected "AlleleID"`, raw: fields[0] ?? '' });
  const metaColumns = fields.slice(0, first);
  const snp = metaColumns.indexOf('SNP');
  if (snp === -1) run.warning({ line, column: 'SNP', rule: 'snp-column-missing', message: 'no SNP column: REF/ALT unknown, genotypes stay as allele indices', raw: '' });
  return {
    metaColumns,
    samples: headerSamples(fields, first),
    snp,
    chrom: metaColumns.findIndex((c) => /^Chrom_/.test(c)),
    chromPos: metaColumns.findIndex((c) => /^ChromPos_/.test(c)),
  };
}

function readSnpRow(fields: string[], text: string, line: number, layout: DartLayout, run: ParseRun): void {
  const { metaColumns, samples } = layout;
  const first = metaColumns.length;
  run.expectCells(samples.length);
  const cells = fields.slice(first, first + samples.length);
  const alleleId = fields[0] ?? '';
  if (fields.length < first || alleleId === '') {
    const message = alleleId === '' ? 'AlleleID is empty' : `row has ${fields.length} fields, fewer than the ${first} metadata columns`;
    run.lineError({ line, column: 'AlleleID', rule: 'row-truncated', message, raw: text });
    run.rejectCells(line, samples, cells, 'variant-rejected', `row rejected: ${message}`);
    return;
  }
  let ref: string | null = null;
  let alt: string[] | null = null;
  const snpText = layout.snp === -1 ? '' : (fields[layout.snp] ?? '');
  const snp = SNP.exec(snpText) ?? SNP.exec(alleleId);
  if (snp) {
    ref = snp[1] as string;
    alt = [snp[2] as string];
  } else if (layout.snp !== -1) {
    run.warning({ line, column: 'SNP', rule: 'snp-invalid', message: `SNP "${snpText}" is not "position:REF>ALT"; REF/ALT stored as null`, raw: snpText });
  }
  const chrom = layout.chrom === -1 ? null : fields[layout.chrom] || null;
  const posText = layout.chromPos === -1 ? '' : (fields[layout.chromPos] ?? '');
  const info: Record<string, string> = {};
  metaColumns.forEach((name, i) => {
    if (i > 0) info[name] = fields[i] as string;
  });
  const variant: VariantRow = {
    variantId: alleleId,
    chrom,
    pos: /^\d{1,18}$/.test(posText) ? BigInt(posText) : null,
    ref,
    alt,
    qual: null,
    filter: null,
    info: JSON.stringify(info),
    sourceLine: BigInt(line),
  };
  run.variant(variant);
  for (let s = 0; s < samples.length; s++) {
    const sample = samples[s] as string;
    const cell = fields[first + s];
    if (cell === undefined) {
      run.cellError({ line, sample, rule: 'sample-missing', message: `row has ${fields.length} fields; sample "${sample}" (column ${first + 1 + s}) is missing`, raw: '' });
      continue;
    }
    const code = CODES[cell.trim()];
    if (!code) {
      run.cellError({ line, sample, column: sample, rule: 'code-invalid', message: `DArT code "${cell}" is not 0, 1, 2 or -`, raw: cell });
      continue;
    }
    run.call(variant, sample, genotypeOnly(code.genotype, false, code.dosage));
  }
  const extra = fields.slice(first + samples.length);
  if (extra.some((f) => f !== '')) run.lineError({ line, rule: 'row-extra-fields', message: `row has ${extra.length} field(s) after the last sample`, raw: extra.join(',') });
}
