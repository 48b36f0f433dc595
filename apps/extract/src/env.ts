import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, sourceDbEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The extract worker's whole environment, parsed once. */
export const env = parseEnv(
  z.object({
    ...sourceDbEnv.shape,
    ...catalogDbEnv.shape,
    ...redisEnv.shape,
    ...storeEnv.shape,
    ...runtimeEnv.shape,
    /** The BrAPI 2.1 OpenAPI document BrAPI JSON files are validated against (file contracts of format brapi). */
    LAKE_BRAPI_OPENAPI: z.string().optional(),
    /** Row-level deltas: the share of a version's rows (superseded + staged) above which a run is full instead. */
    LAKE_DELTA_MAX_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
    /** Row-level deltas: the layers a version may have; the run after is full (readers apply every layer). */
    LAKE_DELTA_MAX_LAYERS: z.coerce.number().int().min(1).max(64).default(8),
    /** Row-level deltas: base keys compared at once; the extract's memory follows it (README, Configuration). */
    LAKE_DELTA_SLICE_KEYS: z.coerce.number().int().min(1000).default(500_000),
    /** Row-level deltas: the largest key compared in JavaScript (a bit per key); larger or negative keys, DuckDB's anti-joins. */
    LAKE_DELTA_BITMAP_MAX_KEY: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(64 * 1024 * 1024 - 1),
  }),
);
