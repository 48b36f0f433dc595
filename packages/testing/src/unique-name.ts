import { randomBytes } from 'node:crypto';

/** Random per process, so names from parallel test files and reruns never collide. */
const RUN_TAG = randomBytes(3).toString('hex');
let counter = 0;

/**
 * A name unique within this test run and across runs: `<prefix>_<run tag>_<counter>`.
 * Always matches `[a-z0-9_]+`, so it is valid as a dataset name, a database name,
 * a queue name or a key segment.
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  counter += 1;
  return `${clean}_${RUN_TAG}_${process.pid.toString(36)}${counter.toString(36)}`;
}
