/** A key part, a whole key or a bucket name breaks the layout rules. Never retry. */
export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}
