import { z } from 'zod';

/**
 * Zod fragments of the lake's environment, named as BijMantra names them. Each app's `env.ts`
 * composes the ones it needs and parses `process.env` once; nothing else reads the environment.
 */

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The operational database the extractor reads, as an ordinary role (RLS applies). */
export const sourceDbEnv = z.object({
  POSTGRES_SERVER: z.string().default('127.0.0.1'),
  POSTGRES_PORT: port.default(5432),
  POSTGRES_USER: z.string().default('lake_extract'),
  POSTGRES_PASSWORD: z.string().default(''),
  POSTGRES_DB: z.string().default('bijmantra'),
});

/** The catalog database: its own schema, never inside BijMantra's tables. */
export const catalogDbEnv = z.object({
  LAKE_CATALOG_URL: z.string().default('postgres://postgres@127.0.0.1:5432/bijmantra_lake'),
  LAKE_CATALOG_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('lake'),
});

export const redisEnv = z.object({
  REDIS_HOST: z.string().default('127.0.0.1'),
  REDIS_PORT: port.default(6379),
  REDIS_PASSWORD: z.string().optional(),
  /** Key prefix of the lake's queues; two lakes can share one Redis. */
  LAKE_QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('lake'),
  /** Job lock; a killed worker's job is taken over after about this long. */
  LAKE_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
});

export const storeEnv = z.object({
  /** `local` (a directory, the embedded default) or `s3` (MinIO or any S3). */
  LAKE_STORE: z.enum(['local', 's3']).default('local'),
  LAKE_STORE_DIR: z.string().default('.lake/store'),
  MINIO_ENDPOINT: z.string().default('127.0.0.1:9000'),
  MINIO_ROOT_USER: z.string().default('minioadmin'),
  MINIO_ROOT_PASSWORD: z.string().default('minioadmin'),
  MINIO_USE_SSL: bool.default(false),
  MINIO_REGION: z.string().default('us-east-1'),
  MINIO_BUCKET_RAW: z.string().default('bijmantra-raw'),
  MINIO_BUCKET_NORMALIZED: z.string().default('bijmantra-normalized'),
  MINIO_BUCKET_CURATED: z.string().default('bijmantra-curated'),
  MINIO_BUCKET_METADATA: z.string().default('bijmantra-metadata'),
});

export const runtimeEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one, unset disables. */
  LAKE_HEALTH_PORT: port.or(z.literal(0)).optional(),
  LAKE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Local scratch space for Parquet being written or read (never holds a whole table in memory). */
  LAKE_TMP_DIR: z.string().optional(),
  /** DuckDB's working-memory limit in the extract and transform workers (past it, work spills to LAKE_TMP_DIR). */
  LAKE_DUCKDB_MEMORY_LIMIT: z.string().regex(/^[1-9][0-9]*(KB|MB|GB)$/).default('64MB'),
  /** DuckDB's threads in the extract and transform workers. */
  LAKE_DUCKDB_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /** Nice value (0–19) of the worker's threads; unset: the app's default (`CPU_NICE`). */
  LAKE_CPU_NICE: z.coerce.number().int().min(0).max(19).optional(),
  /** Comma-separated failpoints (`load.after-commit`) where crash tests stop a worker. */
  LAKE_FAILPOINTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean)),
});

export const schemasEnv = z.object({
  LAKE_SCHEMAS_DIR: z.string().default('schemas'),
});

/** Parses an environment with a schema; the error lists every bad variable, never its value. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
