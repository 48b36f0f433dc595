import { catalogDbEnv, parseEnv, redisEnv, runtimeEnv, schemasEnv } from '@lake/config';
import { z } from 'zod';

/** The scheduler's whole environment, parsed once. */
export const env = parseEnv(
  z.object({
    ...catalogDbEnv.shape,
    ...redisEnv.shape,
    ...schemasEnv.shape,
    ...runtimeEnv.shape,
    /** `false` leaves cron schedules alone (manual and event triggers still work). */
    LAKE_SCHEDULES: z.enum(['true', 'false']).default('true'),
  }),
);
