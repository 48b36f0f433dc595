/**
 * What ingestion reports about user data. Bad payloads are values, never exceptions: a file
 * with one bad entity still yields every good one, and each issue says where to look.
 */

/** Which check an issue comes from. */
export type BrapiRule =
  /** The bytes are not JSON (located at the offending byte; reading stops). */
  | 'json-syntax'
  /** An element is not valid UTF-8. */
  | 'encoding'
  /** The document is JSON but not a BrAPI payload (e.g. `result.data` is not an array). */
  | 'payload-shape'
  /** A JSON Schema keyword of the BrAPI 2.1 OpenAPI schema (`type`, `required`, `enum`, `format`, …). */
  | (string & {});

/** One located problem with a payload or one of its entities. */
export interface BrapiIssue {
  kind: 'error';
  /** Position of the entity in the payload (0-based); for syntax errors, the entity being read. */
  index: number;
  /** 1-based line of the offending value (or byte, for syntax errors). */
  line: number;
  /** 1-based byte column on that line. */
  column: number;
  /** Byte offset from the start of the payload. */
  offset: number;
  /** JSON pointer (RFC 6901) into the entity; `''` is the entity itself. */
  path: string;
  rule: BrapiRule;
  message: string;
  /**
   * The entity's raw JSON text (for a dead-letter file); for syntax and encoding errors, up to
   * 120 bytes of the payload around the error.
   */
  raw: string;
}

/** Builds an issue; kept in one place so every issue has the same shape. */
export function brapiIssue(fields: Omit<BrapiIssue, 'kind'>): BrapiIssue {
  return { kind: 'error', ...fields };
}
