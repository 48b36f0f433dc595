/**
 * The store refuses to write this object: its format is not allowed in its tier
 * (Arrow/Feather anywhere, CSV/JSON outside raw) or its metadata is malformed. Never retry.
 */
export class RefusedObjectError extends Error {
  override readonly name = 'RefusedObjectError';

  constructor(
    /** `bucket/path` of the refused key. */
    readonly key: string,
    reason: string,
  ) {
    super(`Refused to store ${key}: ${reason}`);
  }
}
