import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, sourceDbEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The load worker's whole environment, parsed once (the source only names lineage inputs). */
export const env = parseEnv(z.object({ ...sourceDbEnv.shape, ...catalogDbEnv.shape, ...redisEnv.shape, ...storeEnv.shape, ...runtimeEnv.shape }));
