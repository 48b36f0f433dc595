/**
 * The COPY binary stream does not match the format or the column descriptors, or holds a value
 * the lake cannot represent (numeric NaN, infinite dates). Retrying reads the same bytes again,
 * so callers should treat it as a contract violation, not a transient failure.
 */
export class CopyFormatError extends Error {
  /** Column the error is about, when it is about one. */
  readonly column: string | undefined;
  /** 0-based index of the row in the COPY stream, when the error is about one. */
  readonly rowIndex: number | undefined;

  constructor(message: string, where: { column?: string; rowIndex?: number } = {}) {
    super(message);
    this.name = 'CopyFormatError';
    this.column = where.column;
    this.rowIndex = where.rowIndex;
  }
}
