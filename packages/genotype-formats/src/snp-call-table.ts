/**
 * Sample-major SNP call exports from genotyping services: the Intertek grid (one row per sample,
 * one column per marker, cells `A:G`) and KASP results (one row per marker × sample, long form).
 *
 * Neither declares a marker's alleles, and in a sample-major file they are known only after the
 * last row, so these readers hold the whole call table (bounded by `maxCells`) and emit
 * variant-major at the end. That is acceptable for these formats, which are assay exports of at
 * most a few thousand markers; a larger file is refused with an error rather than read into
 * memory.
 *
 * REF is the first allele observed for the marker in file order, ALT the others in order of
 * appearance: no reference genome is involved, so the variant's `info.ref_basis` says
 * `first-observed`. `Uncallable`, `?`, `NTC`, empty, `N:N` are missing calls (`./.`), the token
 * kept in `format_other.call`.
 */
import { type CallFields, genotypeOnly, type VariantRow } from './batch-builders.js';
import { headerSamples, splitDelimited } from './delimited-line.js';
import { alleleDosage, normalizeGenotype } from './genotype-call.js';
import type { ByteChunks, GenotypeEvent, GenotypeFormat, GenotypeParseOptions } from './genotype-event.js';
import { readLines } from './line-reader.js';
import { readBaseCall } from './nucleotide-call.js';
import { ParseRun } from './parse-run.js';

/** Options of the buffered SNP-table readers. */
export interface SnpTableOptions extends GenotypeParseOptions {
  /**
   * Most cells held before the file is refused.
   * @defaultValue 5000000
   */
  maxCells?: number;
}

const NO_CALL = new Set(['UNCALLABLE', '?', 'NTC', '', 'N:N', 'NN', '-', 'BAD', 'DUPE', 'MISSING']);
const CALL = /^([ACGT+-]+)[:/]([ACGT+-]+)$/;

interface HeldCell {
  sample: string;
  raw: string;
  line: number;
  extra: Record<string, string> | null;
}

/** Accumulates cells per marker, then emits them. */
class SnpCallTable {
  private readonly markers = new Map<string, { line: number; alleles: string[]; cells: HeldCell[] }>();
  private readonly sampleSet = new Set<string>();
  cells = 0;
  overflow = false;

  constructor(private readonly maxCells: number) {}

  add(marker: string, markerLine: number, cell: HeldCell): boolean {
    if (this.cells >= this.maxCells) {
      this.overflow = true;
      return false;
    }
    let entry = this.markers.get(marker);
    if (!entry) {
      entry = { line: markerLine, alleles: [], cells: [] };
      this.markers.set(marker, entry);
    }
    entry.cells.push(cell);
    this.sampleSet.add(cell.sample);
    this.cells++;
    const m = CALL.exec(cell.raw.trim().toUpperCase());
    if (m) for (const base of [m[1] as string, m[2] as string]) if (!entry.alleles.includes(base)) entry.alleles.push(base);
    return true;
  }

  /** Emits every marker's variant and calls into the run. */
  emit(run: ParseRun): void {
    run.samples([...this.sampleSet]);
    for (const [marker, { line, alleles, cells }] of this.markers) {
      const [ref = null, ...alt] = alleles;
      const variant: VariantRow = {
        variantId: marker,
        chrom: null,
        pos: null,
        ref,
        alt: ref === null ? null : alt,
        qual: null,
        filter: null,
        info: JSON.stringify({ ref_basis: 'first-observed' }),
        sourceLine: BigInt(line),
      };
      run.variant(variant);
      run.expectCells(cells.length);
      for (const cell of cells) this.emitCell(run, variant, alleles, cell);
    }
  }

  private emitCell(run: ParseRun, variant: VariantRow, alleles: string[], cell: HeldCell): void {
    const token = cell.raw.trim();
    const at = { ...variant, sourceLine: BigInt(cell.line) };
    if (NO_CALL.has(token.toUpperCase())) {
      run.call(at, cell.sample, withOther(genotypeOnly('./.', false, null), { call: token, ...cell.extra }));
      return;
    }
    const parsed = CALL.test(token.toUpperCase()) ? readBaseCall(token, alleles) : `call "${token}" is not "X:Y" bases or a no-call token`;
    if (typeof parsed === 'string') {
      run.cellError({ line: cell.line, sample: cell.sample, column: variant.variantId, rule: 'call-invalid', message: parsed, raw: cell.raw });
      return;
    }
    const { text, phased } = normalizeGenotype(parsed);
    run.call(at, cell.sample, withOther(genotypeOnly(text, phased, alleleDosage(parsed.alleles, alleles.length - 1)), cell.extra));
  }
}

function withOther(fields: CallFields, other: Record<string, string> | null): CallFields {
  return other && Object.keys(other).length > 0 ? { ...fields, formatOther: JSON.stringify(other) } : fields;
}

async function* readTable(
  format: GenotypeFormat,
  chunks: ByteChunks,
  options: SnpTableOptions,
  onRow: (fields: string[], line: number, table: SnpCallTable, run: ParseRun, header: string[]) => void,
): AsyncGenerator<GenotypeEvent> {
  const run = new ParseRun(format, options);
  const table = new SnpCallTable(options.maxCells ?? 5_000_000);
  let header: string[] | null = null;
  let lines = 0;
  for await (const { text, line, invalidUtf8 } of readLines(chunks)) {
    lines = line;
    if (invalidUtf8) run.warning({ line, rule: 'encoding-invalid', message: 'line is not valid UTF-8; invalid bytes were replaced by U+FFFD', raw: text });
    if (text.trim() === '' || table.overflow) continue;
    const fields = splitDelimited(text, text.includes('\t') && !text.includes(',') ? '\t' : ',');
    if (!header) header = fields;
    else onRow(fields, line, table, run, header);
    if (table.overflow) {
      run.lineError({ line, rule: 'file-too-large', message: `more than ${options.maxCells ?? 5_000_000} cells: a sample-major SNP table is read whole, convert it to VCF first`, raw: '' });
    }
    yield* run.drain();
  }
  if (!header) run.lineError({ line: Math.max(1, lines), rule: 'header-missing', message: 'the file has no header line', raw: '' });
  if (!table.overflow) table.emit(run);
  yield* run.finish(lines);
}

/**
 * Parses an Intertek SNP grid (`SampleName.LabID,marker1,marker2,…`, one row per sample, cells
 * `A:G` / `Uncallable` / `?`) into long-form calls.
 */
export function parseSnpGrid(chunks: ByteChunks, options: SnpTableOptions = {}): AsyncGenerator<GenotypeEvent> {
  return readTable('snp-grid', chunks, options, (fields, line, table, run, header) => {
    const sample = fields[0] ?? '';
    const markers = headerSamples(header, 1);
    markers.forEach((marker, m) => {
      const raw = fields[m + 1];
      if (raw === undefined) {
        // Counted here because a missing cell never reaches the table.
        run.expectCells(1, false);
        run.cellError({ line, sample, column: marker, rule: 'cell-missing', message: `row has ${fields.length} fields; marker "${marker}" is missing`, raw: '' });
        return;
      }
      table.add(marker, 1, { sample, raw, line, extra: null });
    });
  });
}

/**
 * Parses KASP results in long form (`MarkerName,SampleName,SNPcall,Xvalue,Yvalue`, one row per
 * call). X/Y fluorescence and any other columns are kept in `format_other`.
 */
export function parseKasp(chunks: ByteChunks, options: SnpTableOptions = {}): AsyncGenerator<GenotypeEvent> {
  return readTable('kasp', chunks, options, (fields, line, table, run, header) => {
    const col = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase());
    const [markerAt, sampleAt, callAt] = [col('MarkerName'), col('SampleName'), col('SNPcall')];
    const marker = fields[markerAt] ?? '';
    const sample = fields[sampleAt] ?? '';
    const raw = fields[callAt];
    if (markerAt === -1 || sampleAt === -1 || callAt === -1 || marker === '' || sample === '' || raw === undefined) {
      run.expectCells(1, false);
      const message = markerAt === -1 || sampleAt === -1 || callAt === -1 ? 'header lacks MarkerName, SampleName or SNPcall' : 'row lacks a marker, sample or call';
      run.cellError({ line, sample: sample || '?', column: 'SNPcall', rule: 'row-invalid', message, raw: fields.join(',') });
      return;
    }
    const extra: Record<string, string> = {};
    header.forEach((name, i) => {
      if (i !== markerAt && i !== sampleAt && i !== callAt && fields[i] !== undefined) extra[name] = fields[i] as string;
    });
    table.add(marker, line, { sample, raw, line, extra });
  });
}
