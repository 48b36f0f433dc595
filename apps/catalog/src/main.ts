import { CPU_NICE, catalogConfig, queueConfig, storeConfig } from '@lake/config';
import { openCatalog } from '@lake/catalog';
import { createLogger } from '@lake/logging';
import { LakeQueues, runWorker, startStageWorker } from '@lake/queue';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { env } from './env.js';
import { createCatalogProcessor } from './processor.js';

const log = createLogger('catalog', env.LOG_LEVEL);
const catalog = openCatalog(catalogConfig(env));
await catalog.migrate();
const store = createObjectStore(storeConfig(env));
await store.ensureBuckets();
const queues = new LakeQueues(queueConfig(env));

const worker = startStageWorker(
  'catalog',
  createCatalogProcessor({
    catalog,
    store,
    layout: createStorageLayout(store.buckets),
    log,
    emit: async (event) => {
      await queues.enqueue('events', event, { jobId: `committed-${event.dataset.replace('.', '_')}-v${event.version}` });
    },
  }),
  { connection: queueConfig(env), concurrency: env.LAKE_CONCURRENCY, lockDurationMs: env.LAKE_LOCK_DURATION_MS, failpoints: env.LAKE_FAILPOINTS },
);
await runWorker({ app: 'catalog', worker, healthPort: env.LAKE_HEALTH_PORT, nice: env.LAKE_CPU_NICE ?? CPU_NICE.catalog, log, closers: [() => queues.close(), () => catalog.close()] });
