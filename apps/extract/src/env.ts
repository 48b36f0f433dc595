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
  }),
);
