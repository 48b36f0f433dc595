/**
 * The bookkeeping every parser shares: batching rows, queuing events in file order and keeping
 * the counts that prove `cells === calls + cellErrors`.
 */
import { type CallFields, CallBatchBuilder, VariantBatchBuilder, type VariantRow } from './batch-builders.js';
import {
  DEFAULT_BATCH_ROWS,
  type GenotypeEvent,
  type GenotypeFormat,
  type GenotypeIssue,
  type GenotypeParseOptions,
  type GenotypeSummary,
} from './genotype-event.js';

/** An issue before its kind is decided. */
export type IssueInput = Omit<GenotypeIssue, 'kind'>;

/** One parse of one file. Parsers push into it and `yield* run.drain()` after each line. */
export class ParseRun {
  readonly summary: GenotypeSummary;
  private readonly batchRows: number;
  private queue: GenotypeEvent[] = [];
  private readonly calls = new CallBatchBuilder();
  private readonly variants = new VariantBatchBuilder();
  private readonly repeated = new Map<string, { first: IssueInput; count: number }>();

  constructor(format: GenotypeFormat, options: GenotypeParseOptions = {}) {
    const { batchRows = DEFAULT_BATCH_ROWS } = options;
    if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
    this.batchRows = batchRows;
    this.summary = { format, lines: 0, variants: 0, variantLines: 0, samples: 0, cells: 0, calls: 0, cellErrors: 0, lineErrors: 0, warnings: 0 };
  }

  /** Announces the sample list (once, before any call). */
  samples(samples: string[], annotations?: string[][]): void {
    this.summary.samples = samples.length;
    this.queue.push(annotations ? { kind: 'samples', samples, annotations } : { kind: 'samples', samples });
  }

  /**
   * Counts `cells` cells that will each become a call or a cell error; `dataLine` false for
   * cells that do not come with a line of their own (a KASP row with no usable marker).
   */
  expectCells(cells: number, dataLine = true): void {
    if (dataLine) this.summary.variantLines++;
    this.summary.cells += cells;
  }

  /** Adds a variant row. */
  variant(row: VariantRow): void {
    this.variants.add(row);
    this.summary.variants++;
    if (this.variants.rowCount >= this.batchRows) this.queue.push({ kind: 'variants', batch: this.variants.take() });
  }

  /** Adds a call row. */
  call(variant: VariantRow, sample: string, fields: CallFields): void {
    this.calls.add(variant, sample, fields);
    this.summary.calls++;
    if (this.calls.rowCount >= this.batchRows) this.queue.push({ kind: 'calls', batch: this.calls.take() });
  }

  /** An error standing for one cell (it must carry `sample`). */
  cellError(issue: IssueInput & { sample: string }): void {
    this.summary.cellErrors++;
    this.queue.push({ kind: 'error', ...issue });
  }

  /** An error about a line or column as a whole; its cells need their own `cellError`s. */
  lineError(issue: Omit<IssueInput, 'sample'>): void {
    this.summary.lineErrors++;
    this.queue.push({ kind: 'error', ...issue });
  }

  warning(issue: IssueInput): void {
    this.summary.warnings++;
    this.queue.push({ kind: 'warning', ...issue });
  }

  /**
   * A warning that would repeat on most lines of a file (every marker at position 0): only the
   * first is emitted now; `finish` adds one warning with the count and the first line.
   */
  warnOnce(issue: IssueInput): void {
    const seen = this.repeated.get(issue.rule);
    if (seen) {
      seen.count++;
      return;
    }
    this.repeated.set(issue.rule, { first: issue, count: 1 });
    this.warning(issue);
  }

  /** One cell error per sample, for a line that was rejected as a whole. */
  rejectCells(line: number, samples: readonly string[], cells: readonly (string | undefined)[], rule: string, message: string): void {
    samples.forEach((sample, i) => {
      this.cellError({ line, sample, rule, message, raw: cells[i] ?? '' });
    });
  }

  /** Events queued so far, in order. */
  *drain(): Generator<GenotypeEvent> {
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    yield* events;
  }

  /** Flushes partial batches and yields the summary. */
  *finish(lines: number): Generator<GenotypeEvent> {
    this.summary.lines = lines;
    for (const [rule, { first, count }] of this.repeated) {
      if (count < 2) continue;
      this.warning({ line: first.line, rule: `${rule}-total`, message: `${count} lines have the problem "${rule}" (first: line ${first.line}: ${first.message})`, raw: String(count) });
    }
    if (this.variants.rowCount > 0) this.queue.push({ kind: 'variants', batch: this.variants.take() });
    if (this.calls.rowCount > 0) this.queue.push({ kind: 'calls', batch: this.calls.take() });
    this.queue.push({ kind: 'summary', summary: { ...this.summary } });
    yield* this.drain();
  }
}
