/**
 * What a genotype parser yields: batches of rows, the sample list, located issues and a final
 * summary. Problems in user data are values (`GenotypeIssue`), never exceptions.
 */
import type { ColumnBatch } from '@lake/contracts';

/** The file formats this package reads. */
export type GenotypeFormat = 'vcf' | 'hapmap' | 'dartseq' | 'dosage-matrix' | 'snp-grid' | 'kasp';

/**
 * A located problem. An `error` with a `sample` stands for one (variant line × sample) cell that
 * produced no call; an `error` without one concerns a whole line or column (its cells, if any,
 * get their own errors). A `warning` never replaces a row: the data was kept, perhaps with a
 * field set to null, and `raw` preserves what was read.
 */
export interface GenotypeIssue {
  kind: 'error' | 'warning';
  /** 1-based physical line in the file. */
  line: number;
  /** The file's column (VCF column, FORMAT key, marker name) the issue is about. */
  column?: string;
  /** The sample whose cell the issue is about. */
  sample?: string;
  /** Stable machine-readable rule id, e.g. `allele-undefined`. */
  rule: string;
  message: string;
  /** The offending text as read. */
  raw: string;
}

/** Counts for one parsed file. Invariant: `cells === calls + cellErrors`. */
export interface GenotypeSummary {
  format: GenotypeFormat;
  /** Physical lines read. */
  lines: number;
  /** Variant rows emitted. */
  variants: number;
  /** Data lines holding cells, accepted or not (marker lines; in a dosage matrix, sample rows; in SNP grids and KASP, markers). */
  variantLines: number;
  samples: number;
  /** Cells read: each is one call or one cell error. */
  cells: number;
  calls: number;
  /** Errors located at a sample cell. */
  cellErrors: number;
  /** Errors about a whole line or column. */
  lineErrors: number;
  warnings: number;
}

/**
 * The sample list, emitted once: before any call in variant-major formats (VCF, HapMap,
 * DArTseq); at the end in sample-major ones (dosage matrix, SNP grid, KASP), where the list is
 * complete only after the last row.
 */
export interface SamplesEvent {
  kind: 'samples';
  samples: string[];
  /**
   * Per-sample annotation rows some formats put above the header (DArTseq's `*`-padded rows:
   * plate well, block, germplasm, …), each aligned with `samples`.
   */
  annotations?: string[][];
}

/** Everything a genotype parser yields, in file order. */
export type GenotypeEvent =
  | SamplesEvent
  | { kind: 'variants'; batch: ColumnBatch }
  | { kind: 'calls'; batch: ColumnBatch }
  | GenotypeIssue
  | { kind: 'summary'; summary: GenotypeSummary };

/** Options shared by every parser. */
export interface GenotypeParseOptions {
  /**
   * Maximum rows per emitted calls or variants batch.
   * @defaultValue 65536
   */
  batchRows?: number;
}

/** Input of every parser: the file's bytes in chunks of any size. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export const DEFAULT_BATCH_ROWS = 65_536;
