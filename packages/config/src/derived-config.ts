import type { z } from 'zod';
import type { catalogDbEnv, redisEnv, sourceDbEnv, storeEnv } from './env-fragments.js';

/** Connection URL of the source database from BijMantra's POSTGRES_* variables. */
export function sourceDbUrl(env: z.infer<typeof sourceDbEnv>): string {
  const auth = env.POSTGRES_PASSWORD
    ? `${encodeURIComponent(env.POSTGRES_USER)}:${encodeURIComponent(env.POSTGRES_PASSWORD)}`
    : encodeURIComponent(env.POSTGRES_USER);
  return `postgres://${auth}@${env.POSTGRES_SERVER}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}

export function catalogConfig(env: z.infer<typeof catalogDbEnv>) {
  return { url: env.LAKE_CATALOG_URL, schema: env.LAKE_CATALOG_SCHEMA };
}

export function queueConfig(env: z.infer<typeof redisEnv>) {
  return {
    host: env.REDIS_HOST,
    port: env.REDIS_PORT,
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    prefix: env.LAKE_QUEUE_PREFIX,
  };
}

export function bucketsConfig(env: z.infer<typeof storeEnv>) {
  return {
    raw: env.MINIO_BUCKET_RAW,
    normalized: env.MINIO_BUCKET_NORMALIZED,
    curated: env.MINIO_BUCKET_CURATED,
    metadata: env.MINIO_BUCKET_METADATA,
  };
}

/** The object store config the storage package's factory takes. */
export function storeConfig(env: z.infer<typeof storeEnv>) {
  const buckets = bucketsConfig(env);
  if (env.LAKE_STORE === 'local') return { kind: 'local' as const, root: env.LAKE_STORE_DIR, buckets };
  return {
    kind: 's3' as const,
    endpoint: env.MINIO_ENDPOINT,
    useSSL: env.MINIO_USE_SSL,
    accessKey: env.MINIO_ROOT_USER,
    secretKey: env.MINIO_ROOT_PASSWORD,
    region: env.MINIO_REGION,
    buckets,
  };
}

/** A URL safe to log: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
