import { parseEnv, redisEnv, runtimeEnv, schemasEnv, storeEnv } from '@lake/config';
import { z } from 'zod';

/** The ingest-events service's whole environment, parsed once. */
export const env = parseEnv(
  z.object({
    ...redisEnv.shape,
    ...storeEnv.shape,
    ...schemasEnv.shape,
    ...runtimeEnv.shape,
    /** Port of the webhook (`POST /events`) and of `/healthz`, `/readyz`; default LAKE_HEALTH_PORT, else 8090. */
    LAKE_INGEST_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    /** Bearer token MinIO sends (`auth_token` of its webhook target); unset accepts any caller. */
    LAKE_INGEST_TOKEN: z.string().min(1).optional(),
    /** Polls the raw tier this often for stores without notifications; 0 turns polling off. */
    LAKE_INGEST_POLL_MS: z.coerce.number().int().min(0).default(0),
  }),
);
