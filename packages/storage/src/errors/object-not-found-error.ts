/** The object does not exist (or a copy source is missing). */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';

  constructor(
    /** `bucket/path` of the missing key. */
    readonly key: string,
  ) {
    super(`Object not found: ${key}`);
  }
}
