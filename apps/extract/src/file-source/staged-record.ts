import type { ColumnSpec, LakeValue, StagedViolation } from '@lake/contracts';

/** One row read from a file: its field values (null where unreadable) and what went wrong. */
export interface StagedRecord {
  line: number;
  values: Record<string, LakeValue>;
  errors: StagedViolation[];
  /** The record as read (JSON text), kept so a replay can read it again under a fixed contract. */
  record: string | null;
  /** The file's header (JSON text), delimited files only. */
  header: string | null;
  /** `bucket/path` of the file, when it differs from the one being staged (a replay). */
  file?: string;
}

/** A unit conversion applied to a column of a file. */
export interface AppliedConversion {
  file: string;
  column: string;
  field: string;
  from: string;
  to: string;
  factor: number;
  offset?: number;
}

/** What a format reader hands the stager: the staged column types and the records. */
export interface OpenedFile {
  /** Lake types of the staged field columns, one per contract field, in field order. */
  fields: ColumnSpec[];
  records: AsyncIterable<StagedRecord>;
  conversions: AppliedConversion[];
}
