import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CPU_NICE, catalogConfig, queueConfig, storeConfig } from '@lake/config';
import { failRun, openCatalog } from '@lake/catalog';
import { createLogger } from '@lake/logging';
import { configureNativeWriter } from '@lake/parquet';
import { runWorker, startStageWorker } from '@lake/queue';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { env } from './env.js';
import { createTransformProcessor } from './processor.js';

const log = createLogger('transform', env.LOG_LEVEL);
const catalog = openCatalog(catalogConfig(env));
await catalog.migrate();
const store = createObjectStore(storeConfig(env));
await store.ensureBuckets();
const tmpDir = env.LAKE_TMP_DIR ?? tmpdir();
mkdirSync(tmpDir, { recursive: true });
// Parquet is encoded by DuckDB; rows of open files past its memory limit spill here.
configureNativeWriter({ tempDirectory: join(tmpDir, 'duckdb'), memoryLimit: env.LAKE_DUCKDB_MEMORY_LIMIT, threads: env.LAKE_DUCKDB_THREADS });

const worker = startStageWorker('transform', createTransformProcessor({ catalog, store, layout: createStorageLayout(store.buckets), tmpDir, log }), {
  connection: queueConfig(env),
  concurrency: env.LAKE_CONCURRENCY,
  lockDurationMs: env.LAKE_LOCK_DURATION_MS,
  failpoints: env.LAKE_FAILPOINTS,
  onFinalFailure: (job, err) => failRun(catalog, job.runId, 'transform', err.message),
});
await runWorker({ app: 'transform', worker, healthPort: env.LAKE_HEALTH_PORT, nice: env.LAKE_CPU_NICE ?? CPU_NICE.transform, log, closers: [() => catalog.close()] });
