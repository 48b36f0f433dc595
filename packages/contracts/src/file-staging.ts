import type { ColumnSpec } from './lake-type.js';

/**
 * Columns the extract adds to every staged row of a file source, next to one column per
 * contract field: where the row came from, what went wrong reading it, and the record as read,
 * so the transform can quarantine it with its place in the file and a replay can re-read it.
 */
export const FILE_STAGING = {
  /** `bucket/path` of the raw object. */
  sourceFile: '__source_file',
  /** 1-based line (CSV record, JSON entity, VCF line) the row starts on. */
  line: '__line',
  /** JSON array of {@link StagedViolation}s found while reading; null when the row read cleanly. */
  errors: '__errors',
  /** The record as read: JSON array of cells (delimited) or the entity's JSON text (BrAPI). */
  record: '__record',
  /** JSON array of the file's header cells (delimited), to re-map the record on replay. */
  header: '__header',
} as const;

export const FILE_STAGING_COLUMNS: ColumnSpec[] = [
  { name: FILE_STAGING.sourceFile, type: 'string', nullable: false },
  { name: FILE_STAGING.line, type: 'int64', nullable: false },
  { name: FILE_STAGING.errors, type: 'json', nullable: true },
  { name: FILE_STAGING.record, type: 'json', nullable: true },
  { name: FILE_STAGING.header, type: 'json', nullable: true },
];

/** A problem found while reading one record of a file, as staged in `__errors`. */
export interface StagedViolation {
  /** The contract field at fault, or `(record)` when the record as a whole is unreadable. */
  column: string;
  rule: string;
  raw: string | null;
  message: string;
}
