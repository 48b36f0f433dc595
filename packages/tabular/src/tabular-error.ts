/**
 * Located errors. User data never throws: every problem with a file, a record, a header or a
 * cell becomes one of these values, so that the caller can quarantine it with its place in the
 * file (`input rows = loaded + quarantined`). Only programmer errors (bad options) throw.
 */

/** The rule a located error breaks; stable names, safe to store in the quarantine dataset. */
export type TabularRule =
  // file level
  | 'empty-file'
  | 'binary-file'
  | 'no-header'
  // records
  | 'unterminated-quote'
  | 'invalid-quote'
  | 'ragged-row'
  | 'binary-content'
  | 'invalid-encoding'
  | 'record-too-large'
  // header
  | 'empty-header'
  | 'duplicate-header'
  | 'missing-field'
  | 'unknown-unit'
  | 'incompatible-unit'
  // cells
  | 'invalid-number'
  | 'ambiguous-number'
  | 'invalid-integer'
  | 'out-of-range'
  | 'invalid-decimal'
  | 'invalid-boolean'
  | 'invalid-date'
  | 'invalid-timestamp'
  | 'invalid-json'
  | 'invalid-trait'
  | 'unsupported-type';

/** A problem at a place in the file. */
export interface TabularError {
  kind: 'error';
  /** 1-based physical line of the record (or header) the problem is in. */
  line: number;
  /** 1-based field position within the record, when one field is at fault. */
  column?: number;
  /** The header name of that column, when known. */
  field?: string;
  rule: TabularRule;
  /** Names the bad value and what was expected. */
  message: string;
  /** The raw text at fault: the whole record for record errors, the cell for cell errors. */
  raw: string;
}

/** Raw text kept on an error is capped so that a runaway record cannot blow up the quarantine. */
export const MAX_RAW_CHARS = 4096;

/** Builds a located error, capping `raw` at {@link MAX_RAW_CHARS}. */
export function tabularError(
  rule: TabularRule,
  line: number,
  message: string,
  raw: string,
  where: { column?: number; field?: string } = {},
): TabularError {
  const error: TabularError = { kind: 'error', line, rule, message, raw: raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw };
  if (where.column !== undefined) error.column = where.column;
  if (where.field !== undefined) error.field = where.field;
  return error;
}

/** Quotes a value for a message, shortened so that a long cell cannot swamp the message. */
export function quoteValue(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return JSON.stringify(shown);
}
