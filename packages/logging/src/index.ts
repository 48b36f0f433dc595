import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino replaces with `[redacted]`: secrets never reach a log line. */
const REDACT = [
  'password',
  '*.password',
  'secretKey',
  '*.secretKey',
  'accessKey',
  '*.accessKey',
  'connectionString',
  '*.connectionString',
  'env.POSTGRES_PASSWORD',
  'env.MINIO_ROOT_PASSWORD',
  'env.REDIS_PASSWORD',
  'headers.authorization',
];

/** JSON logs for one app; bind `runId` and `jobId` with `logger.child`. */
export function createLogger(app: string, level = 'info'): Logger {
  return pino({
    name: app,
    level,
    base: { app },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
export { PhaseClock } from './phase-clock.js';
