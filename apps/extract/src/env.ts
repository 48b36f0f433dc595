import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, sourceDbEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The extract worker's whole environment, parsed once. */
export const env = parseEnv(z.object({ ...sourceDbEnv.shape, ...catalogDbEnv.shape, ...redisEnv.shape, ...storeEnv.shape, ...runtimeEnv.shape }));
