import { queueConfig, storeConfig } from '@lake/config';
import { loadContracts } from '@lake/contracts';
import { createLogger } from '@lake/logging';
import { LakeQueues } from '@lake/queue';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { env } from './env.js';
import { createEventServer } from './http-server.js';
import { createIngestEventsProcessor } from './processor.js';
import { RawPoller } from './raw-poller.js';

const log = createLogger('ingest-events', env.LOG_LEVEL);
const queues = new LakeQueues(queueConfig(env));
const store = createObjectStore(storeConfig(env));
await store.ensureBuckets();
const layout = createStorageLayout(store.buckets);
const contracts = () => loadContracts(env.LAKE_SCHEMAS_DIR);
const handle = createIngestEventsProcessor({ queues, buckets: store.buckets, contracts, log });

const server = createEventServer({
  handle,
  log,
  ...(env.LAKE_INGEST_TOKEN ? { token: env.LAKE_INGEST_TOKEN } : {}),
  ready: async () => {
    try {
      await queues.queue('scheduler').getJobCounts('waiting');
      return true;
    } catch {
      return false;
    }
  },
});
const port = env.LAKE_INGEST_PORT ?? env.LAKE_HEALTH_PORT ?? 8090;
await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
const address = server.address();
log.info({ port: typeof address === 'object' && address ? address.port : port, polling: env.LAKE_INGEST_POLL_MS }, 'ingest-events listening');

const poller = env.LAKE_INGEST_POLL_MS > 0 ? new RawPoller(store, layout, contracts, (objects) => handle(objects, 'poll'), log) : undefined;
poller?.start(env.LAKE_INGEST_POLL_MS);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await poller?.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await queues.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
