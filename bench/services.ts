import { createSourceDatabase, dropSourceDatabase, seed } from '@lake/fixture';
import type { LakeQueues } from '@lake/queue';
import { join } from 'node:path';
import { pgAdminUrl, redisConnectionOptions, uniqueName } from '@lake/testing';
import startS3rver from '@lake/testing/global-setup';

/** The S3 endpoint the workers write to, as `MINIO_*` variables. */
export interface S3Service {
  env: Record<string, string>;
  /** `s3rver` when the bench started one, `external` when `MINIO_ENDPOINT` was already set. */
  kind: 's3rver' | 'external';
  stop(): Promise<void>;
}

/**
 * Starts s3rver through the test harness's global setup, so the bench gets the same patches for
 * s3rver's bugs as the tests. With `MINIO_ENDPOINT` already set (a real MinIO) it uses that one,
 * which must be a scratch one: every lake run of the bench writes v1 of the same dataset into it.
 * s3rver cannot take multipart uploads: every object must stay under 64 MiB (see `--orgs`).
 */
export async function startS3(): Promise<S3Service> {
  const kind = process.env.MINIO_ENDPOINT ? 'external' : 's3rver';
  const stop = await startS3rver();
  const env: Record<string, string> = { LAKE_STORE: 's3' };
  for (const name of ['MINIO_ENDPOINT', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'MINIO_USE_SSL']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { env, kind, stop };
}

export interface SeededSource {
  database: string;
  /** Superuser URL: the baseline reads through it (no RLS), as the brief allows. */
  adminUrl: string;
  /** The ordinary role the extract worker connects as (RLS applies). */
  extractRole: string;
  seedSeconds: number;
  drop(): Promise<void>;
}

/** A fresh source database with a unique name, filled with `rows` observations. */
export async function seedSource(rows: number, orgs: number): Promise<SeededSource> {
  const database = uniqueName('bench_src');
  const source = await createSourceDatabase({ adminUrl: pgAdminUrl(), database });
  const drop = () => dropSourceDatabase({ adminUrl: pgAdminUrl(), database });
  try {
    const started = performance.now();
    const report = await seed(source.adminUrl, { rows, orgs, seed: 42 });
    if (report.rowCounts.observations !== rows) throw new Error(`seeded ${report.rowCounts.observations} observations, wanted ${rows}`);
    return { database, adminUrl: source.adminUrl, extractRole: source.extractRole, seedSeconds: (performance.now() - started) / 1000, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

/** Removes a bench run's queues (its own prefix) from Redis and closes their connections. */
export async function dropQueues(queues: LakeQueues): Promise<void> {
  await queues.obliterate().catch(() => undefined);
  await queues.close();
}

/**
 * The five workers' environment for one bench lake: its S3 endpoint, catalog database, queue
 * prefix, scratch directory and source, with schedules off and no failpoints inherited.
 */
export function benchWorkerEnv(opts: { s3: S3Service; catalogUrl: string; repoRoot: string; prefix: string; tmp: string; source: SeededSource }): NodeJS.ProcessEnv {
  const redis = redisConnectionOptions();
  const { LAKE_FAILPOINTS: _, ...inherited } = process.env;
  return {
    ...inherited,
    ...opts.s3.env,
    LOG_LEVEL: 'warn',
    LAKE_SCHEDULES: 'false',
    LAKE_CATALOG_URL: opts.catalogUrl,
    // BENCH_SCHEMAS_DIR runs the bench over other contracts (e.g. another partitioning to compare).
    LAKE_SCHEMAS_DIR: process.env.BENCH_SCHEMAS_DIR ?? join(opts.repoRoot, 'schemas'),
    LAKE_QUEUE_PREFIX: opts.prefix,
    LAKE_TMP_DIR: join(opts.tmp, 'work'),
    POSTGRES_DB: opts.source.database,
    POSTGRES_USER: opts.source.extractRole,
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
  };
}
