import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, schemasEnv, sourceDbEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The CLI's whole environment, parsed once. */
export const env = parseEnv(
  z.object({
    ...sourceDbEnv.shape,
    ...catalogDbEnv.shape,
    ...redisEnv.shape,
    ...storeEnv.shape,
    ...schemasEnv.shape,
    ...runtimeEnv.shape,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
    /** Superuser URL of the server holding the source database, for `lake seed` only. */
    LAKE_SOURCE_ADMIN_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    /** Read-through cache of S3 objects for `lake query`. */
    LAKE_CACHE_DIR: z.string().default('.lake/cache'),
  }),
);
export type Env = typeof env;
