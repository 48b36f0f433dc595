import { CPU_NICE, catalogConfig, queueConfig, storeConfig } from '@lake/config';
import { failRun, openCatalog } from '@lake/catalog';
import { createLogger } from '@lake/logging';
import { runWorker, startStageWorker } from '@lake/queue';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { env } from './env.js';
import { createLoadProcessor } from './processor.js';

const log = createLogger('load', env.LOG_LEVEL);
const catalog = openCatalog(catalogConfig(env));
await catalog.migrate();
const store = createObjectStore(storeConfig(env));
await store.ensureBuckets();
const storeNamespace = env.LAKE_STORE === 's3' ? `s3://${env.MINIO_ENDPOINT}` : `file://${env.LAKE_STORE_DIR}`;

const worker = startStageWorker(
  'load',
  createLoadProcessor({
    catalog,
    store,
    layout: createStorageLayout(store.buckets),
    sourceNamespace: `postgres://${env.POSTGRES_SERVER}:${env.POSTGRES_PORT}/${env.POSTGRES_DB}`,
    storeNamespace,
    log,
  }),
  {
    connection: queueConfig(env),
    concurrency: env.LAKE_CONCURRENCY,
    lockDurationMs: env.LAKE_LOCK_DURATION_MS,
    failpoints: env.LAKE_FAILPOINTS,
    onFinalFailure: (job, err) => failRun(catalog, job.runId, 'load', err.message),
  },
);
await runWorker({ app: 'load', worker, healthPort: env.LAKE_HEALTH_PORT, nice: env.LAKE_CPU_NICE ?? CPU_NICE.load, log, closers: [() => catalog.close()] });
