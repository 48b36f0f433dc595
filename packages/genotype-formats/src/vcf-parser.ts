/**
 * Streaming VCF 4.x reader: one data line at a time becomes one variant row and one call row or
 * one located error per sample. Memory is one line (× samples) plus one output batch.
 *
 * Tolerated, with a warning: a header line missing its `#` (`CHROM\tPOS…`, BrAPI test server),
 * empty fields past the last sample, non-standard alleles (`-`, REF `.`), meta lines out of
 * place. Rejected per cell: missing sample fields (ragged rows), empty cells, unreadable GT, a
 * GT referencing an allele the line does not have (`1/0` with ALT `.`). Rejected per line (all
 * its cells): too few fixed columns, empty CHROM, non-integer POS, empty REF, no FORMAT.
 */
import type { VariantRow } from './batch-builders.js';
import type { ByteChunks, GenotypeEvent, GenotypeParseOptions } from './genotype-event.js';
import { readLines } from './line-reader.js';
import { ParseRun } from './parse-run.js';
import { emptyDefinitions, infoToJson, readMetaLine } from './vcf-header.js';
import { type FormatLayout, formatLayout, readSampleCell } from './vcf-sample-cell.js';

const FIXED = ['CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'];
const STANDARD_ALLELE = /^(?:[ACGTNacgtn]+|\*|<[^<>]+>|.*[[\]].*)$/;

/**
 * Parses a VCF file into long-form calls, variants, issues and a summary.
 *
 * ```ts
 * for await (const event of parseVcf(createReadStream(path))) {
 *   if (event.kind === 'calls') await writer.writeBatch(event.batch);
 * }
 * ```
 */
export async function* parseVcf(chunks: ByteChunks, options: GenotypeParseOptions = {}): AsyncGenerator<GenotypeEvent> {
  const run = new ParseRun('vcf', options);
  const defs = emptyDefinitions();
  const layouts = new Map<string, FormatLayout>();
  let samples: string[] | null = null;
  let lines = 0;
  for await (const { text, line, invalidUtf8 } of readLines(chunks)) {
    lines = line;
    if (invalidUtf8) run.warning({ line, rule: 'encoding-invalid', message: 'line is not valid UTF-8; invalid bytes were replaced by U+FFFD', raw: text });
    if (text.startsWith('##')) {
      if (samples) run.warning({ line, rule: 'meta-after-header', message: 'meta line after the #CHROM header is ignored', raw: text });
      else {
        const problem = readMetaLine(text, defs);
        if (problem) run.warning({ line, rule: 'meta-invalid', message: problem, raw: text });
      }
    } else if (text.startsWith('#') || (!samples && /^CHROM\t/i.test(text))) {
      if (samples) {
        run.warning({ line, rule: 'header-repeated', message: 'a second header line is ignored', raw: text });
      } else {
        if (!text.startsWith('#')) run.warning({ line, column: 'CHROM', rule: 'header-missing-hash', message: 'header line lacks its leading "#"; accepted as the header', raw: text });
        samples = readHeader(text, line, run);
        if (defs.fileformat === null) run.warning({ line: 1, rule: 'fileformat-missing', message: 'no ##fileformat=VCF meta line before the header', raw: '' });
        run.samples(samples);
      }
    } else if (text.trim() === '') {
      // Blank lines (often a trailing one) carry no data.
    } else if (!samples) {
      run.lineError({ line, rule: 'header-missing', message: 'data line before the #CHROM header; its samples are unknown', raw: text });
    } else {
      readDataLine(text, line, samples, run, defs, layouts);
    }
    yield* run.drain();
  }
  if (!samples) run.lineError({ line: Math.max(1, lines), rule: 'header-missing', message: 'the file has no #CHROM header line', raw: '' });
  yield* run.finish(lines);
}

function readHeader(text: string, line: number, run: ParseRun): string[] {
  const fields = text.replace(/^#/, '').split('\t');
  FIXED.forEach((name, i) => {
    if (fields[i] !== name) run.warning({ line, column: name, rule: 'header-column-unexpected', message: `header column ${i + 1} is "${fields[i] ?? ''}", expected "${name}"`, raw: fields[i] ?? '' });
  });
  if (fields.length > 8 && fields[8] !== 'FORMAT') run.warning({ line, column: 'FORMAT', rule: 'header-column-unexpected', message: `header column 9 is "${fields[8]}", expected "FORMAT"`, raw: fields[8] ?? '' });
  // Trailing empty header fields are tab debris, not samples.
  let end = fields.length;
  while (end > 9 && fields[end - 1] === '') end--;
  const samples = fields.slice(9, end);
  const seen = new Set<string>();
  for (const s of samples) {
    if (s === '') run.warning({ line, rule: 'sample-name-empty', message: 'a sample column has an empty name', raw: s });
    else if (seen.has(s)) run.warning({ line, sample: s, rule: 'sample-duplicate', message: `sample "${s}" appears twice in the header`, raw: s });
    seen.add(s);
  }
  return samples;
}

function readDataLine(text: string, line: number, samples: string[], run: ParseRun, defs: ReturnType<typeof emptyDefinitions>, layouts: Map<string, FormatLayout>): void {
  const fields = text.split('\t');
  run.expectCells(samples.length);
  const cells = fields.slice(9, 9 + samples.length);
  const reject = (column: string, rule: string, message: string, raw: string) => {
    run.lineError({ line, column, rule, message, raw });
    run.rejectCells(line, samples, cells, 'variant-rejected', `line rejected: ${message}`);
  };
  if (fields.length < 8) {
    reject('INFO', 'row-truncated', `line has ${fields.length} fields, a VCF data line needs at least 8`, text);
    return;
  }
  const [chrom, posText, id, ref, altText, qualText, filter, info] = fields as [string, string, string, string, string, string, string, string];
  if (chrom === '') {
    reject('CHROM', 'chrom-missing', 'CHROM is empty', chrom);
    return;
  }
  if (!/^\d{1,18}$/.test(posText)) {
    reject('POS', 'pos-invalid', `POS "${posText}" is not a non-negative integer`, posText);
    return;
  }
  if (ref === '') {
    reject('REF', 'ref-missing', 'REF is empty', ref);
    return;
  }
  if (altText === '') {
    reject('ALT', 'alt-missing', 'ALT is empty (use "." for none)', altText);
    return;
  }
  if (samples.length > 0 && (fields.length < 9 || fields[8] === '')) {
    reject('FORMAT', 'format-missing', 'the line has samples but no FORMAT', fields[8] ?? '');
    return;
  }

  const alt = altText === '.' ? [] : altText.split(',');
  for (const allele of [ref, ...alt]) {
    if (!STANDARD_ALLELE.test(allele)) run.warning({ line, column: allele === ref ? 'REF' : 'ALT', rule: 'allele-nonstandard', message: `allele "${allele}" is not a VCF base string, "*" or symbolic allele; kept as written`, raw: allele });
  }
  let qual: number | null = null;
  if (qualText !== '.') {
    qual = Number(qualText);
    if (qualText.trim() === '' || !Number.isFinite(qual)) {
      run.warning({ line, column: 'QUAL', rule: 'qual-invalid', message: `QUAL "${qualText}" is not a number; stored as null`, raw: qualText });
      qual = null;
    }
  }
  const infoJson = infoToJson(info, defs, (key, raw) =>
    run.warning({ line, column: 'INFO', rule: 'info-value-invalid', message: `INFO ${key}="${raw}" does not fit its declared type; kept as text`, raw }),
  );
  const variant: VariantRow = {
    variantId: id !== '.' && id !== '' ? id : `${chrom}:${posText}:${ref}:${alt.join(',')}`,
    chrom,
    pos: BigInt(posText),
    ref,
    alt,
    qual,
    filter: filter === '.' || filter === '' ? null : filter,
    info: infoJson,
    sourceLine: BigInt(line),
  };
  run.variant(variant);
  readExtraFields(fields, samples.length, line, run);
  if (samples.length === 0) return;

  const format = fields[8] as string;
  let layout = layouts.get(format);
  if (!layout) {
    layout = formatLayout(format);
    if (layouts.size < 1000) layouts.set(format, layout);
  }
  for (let s = 0; s < samples.length; s++) {
    const sample = samples[s] as string;
    const cell = fields[9 + s];
    if (cell === undefined) {
      run.cellError({ line, sample, rule: 'sample-missing', message: `line has ${fields.length} fields; sample "${sample}" (column ${10 + s}) is missing`, raw: '' });
      continue;
    }
    if (cell === '') {
      run.cellError({ line, sample, rule: 'cell-empty', message: `sample "${sample}" (column ${10 + s}) is empty`, raw: '' });
      continue;
    }
    const result = readSampleCell(cell, layout, alt.length, (column, rule, message, raw) => run.warning({ line, column, sample, rule, message, raw }));
    if ('rule' in result) run.cellError({ line, sample, column: result.column, rule: result.rule, message: result.message, raw: cell });
    else run.call(variant, sample, result);
  }
}

/** Fields past the last sample: empty ones are tab debris (warning), others are data without a sample (error). */
function readExtraFields(fields: string[], sampleCount: number, line: number, run: ParseRun): void {
  // With no samples, a FORMAT column (field 9) may still be present.
  const extra = fields.slice(9 + sampleCount);
  if (extra.length === 0) return;
  const raw = extra.join('\t');
  if (extra.every((f) => f === '')) run.warning({ line, rule: 'row-trailing-empty', message: `line has ${extra.length} empty field(s) after the last sample`, raw });
  else run.lineError({ line, rule: 'row-extra-fields', message: `line has ${extra.length} field(s) after the last sample, which belong to no sample`, raw });
}
