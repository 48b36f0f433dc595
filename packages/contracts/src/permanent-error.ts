/**
 * A failure that retrying cannot fix: a contract violation, a refused commit, a payload that does
 * not match the job catalog. Stage workers turn it into BullMQ's UnrecoverableError, so the job
 * fails at once instead of burning its attempts.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
