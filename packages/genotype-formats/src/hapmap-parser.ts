/**
 * Streaming HapMap (TASSEL `.hmp.txt`) reader. Columns: rs#, alleles, chrom, pos, strand,
 * assembly#, center, protLSID, assayLSID, panelLSID, QCcode, then one column per sample with
 * calls as base pairs (`AG`), IUPAC codes (`R`) or `NN` for missing.
 *
 * The first declared allele becomes REF and the others ALT, so genotypes normalize to indices
 * (`AG` with alleles `A/G` → `0/1`). HapMap's first allele is not necessarily the reference
 * genome's; the variants keep the declaration as written in `info.alleles`. Position 0 and
 * empty chromosomes are kept and flagged (once, plus a total).
 */
import type { VariantRow } from './batch-builders.js';
import { genotypeOnly } from './batch-builders.js';
import { headerSamples } from './delimited-line.js';
import { alleleDosage, normalizeGenotype } from './genotype-call.js';
import type { ByteChunks, GenotypeEvent, GenotypeParseOptions } from './genotype-event.js';
import { readLines } from './line-reader.js';
import { readAlleleList, readBaseCall } from './nucleotide-call.js';
import { ParseRun } from './parse-run.js';

const FIXED = ['rs#', 'alleles', 'chrom', 'pos', 'strand', 'assembly#', 'center', 'protLSID', 'assayLSID', 'panelLSID', 'QCcode'];
const MISSING_TEXT = new Set(['', 'NA', '.']);

/** Parses a HapMap file into long-form calls, variants, issues and a summary. */
export async function* parseHapmap(chunks: ByteChunks, options: GenotypeParseOptions = {}): AsyncGenerator<GenotypeEvent> {
  const run = new ParseRun('hapmap', options);
  let header: string[] | null = null;
  let samples: string[] = [];
  let lines = 0;
  for await (const { text, line, invalidUtf8 } of readLines(chunks)) {
    lines = line;
    if (invalidUtf8) run.warning({ line, rule: 'encoding-invalid', message: 'line is not valid UTF-8; invalid bytes were replaced by U+FFFD', raw: text });
    if (text.trim() === '') continue;
    if (!header) {
      header = text.split('\t');
      FIXED.forEach((name, i) => {
        if ((header?.[i] ?? '').toLowerCase() !== name.toLowerCase()) {
          run.warning({ line, column: name, rule: 'header-column-unexpected', message: `header column ${i + 1} is "${header?.[i] ?? ''}", expected "${name}"`, raw: header?.[i] ?? '' });
        }
      });
      samples = headerSamples(header, FIXED.length);
      run.samples(samples);
    } else {
      readMarkerLine(text, line, header, samples, run);
    }
    yield* run.drain();
  }
  if (!header) run.lineError({ line: Math.max(1, lines), rule: 'header-missing', message: 'the file has no header line', raw: '' });
  yield* run.finish(lines);
}

function readMarkerLine(text: string, line: number, header: string[], samples: string[], run: ParseRun): void {
  const fields = text.split('\t');
  run.expectCells(samples.length);
  const cells = fields.slice(FIXED.length, FIXED.length + samples.length);
  const reject = (column: string, rule: string, message: string, raw: string) => {
    run.lineError({ line, column, rule, message, raw });
    run.rejectCells(line, samples, cells, 'variant-rejected', `line rejected: ${message}`);
  };
  if (fields.length < FIXED.length) {
    reject('QCcode', 'row-truncated', `line has ${fields.length} fields, a HapMap marker line needs ${FIXED.length}`, text);
    return;
  }
  const [rs, allelesText, chromText, posText] = fields as [string, string, string, string];
  const alleles = readAlleleList(allelesText);
  if (typeof alleles === 'string') {
    reject('alleles', 'alleles-invalid', alleles, allelesText);
    return;
  }
  let pos: bigint | null = null;
  if (!MISSING_TEXT.has(posText)) {
    if (!/^\d{1,18}$/.test(posText)) {
    reject('pos', 'pos-invalid', `pos "${posText}" is not a non-negative integer`, posText);
    return;
  }
    pos = BigInt(posText);
    if (pos === 0n) run.warnOnce({ line, column: 'pos', rule: 'position-zero', message: 'marker position is 0 (not a genome position); kept', raw: posText });
  }
  const chrom = MISSING_TEXT.has(chromText) ? null : chromText;
  if (chrom === null) run.warnOnce({ line, column: 'chrom', rule: 'chrom-missing', message: `chrom is "${chromText}"; stored as null`, raw: chromText });
  const info: Record<string, string> = { alleles: allelesText };
  for (let i = 4; i < FIXED.length; i++) info[header[i] ?? (FIXED[i] as string)] = fields[i] as string;
  const variant: VariantRow = {
    variantId: rs !== '' ? rs : `${chrom ?? ''}:${posText}:${alleles.ref}:${alleles.alt.join(',')}`,
    chrom,
    pos,
    ref: alleles.ref,
    alt: alleles.alt,
    qual: null,
    filter: null,
    info: JSON.stringify(info),
    sourceLine: BigInt(line),
  };
  run.variant(variant);
  const declared = [alleles.ref, ...alleles.alt];
  for (let s = 0; s < samples.length; s++) {
    const sample = samples[s] as string;
    const cell = fields[FIXED.length + s];
    if (cell === undefined) {
      run.cellError({ line, sample, rule: 'sample-missing', message: `line has ${fields.length} fields; sample "${sample}" (column ${FIXED.length + 1 + s}) is missing`, raw: '' });
      continue;
    }
    const call = readBaseCall(cell, declared);
    if (typeof call === 'string') {
      run.cellError({ line, sample, column: sample, rule: 'call-invalid', message: call, raw: cell });
      continue;
    }
    const { text: genotype, phased } = normalizeGenotype(call);
    run.call(variant, sample, genotypeOnly(genotype, phased, alleleDosage(call.alleles, alleles.alt.length)));
  }
  const extra = fields.slice(FIXED.length + samples.length);
  if (extra.length > 0) {
    const raw = extra.join('\t');
    if (extra.every((f) => f === '')) run.warning({ line, rule: 'row-trailing-empty', message: `line has ${extra.length} empty field(s) after the last sample`, raw });
    else run.lineError({ line, rule: 'row-extra-fields', message: `line has ${extra.length} field(s) after the last sample, which belong to no sample`, raw });
  }
}
