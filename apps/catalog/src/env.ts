import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The catalog worker's whole environment, parsed once. */
export const env = parseEnv(z.object({ ...catalogDbEnv.shape, ...redisEnv.shape, ...storeEnv.shape, ...runtimeEnv.shape }));
