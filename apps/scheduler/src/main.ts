import { CPU_NICE, catalogConfig, queueConfig } from '@lake/config';
import { openCatalog, registerContract } from '@lake/catalog';
import { loadContracts } from '@lake/contracts';
import { createLogger } from '@lake/logging';
import { LakeQueues, runWorker, startStageWorker } from '@lake/queue';
import { env } from './env.js';
import { createSchedulerProcessor } from './processor.js';

const log = createLogger('scheduler', env.LOG_LEVEL);
const catalog = openCatalog(catalogConfig(env));
await catalog.migrate();
const queues = new LakeQueues(queueConfig(env));

const contracts = await loadContracts(env.LAKE_SCHEMAS_DIR);
for (const c of contracts) {
  // A refused contract change must not stop the scheduler: its runs fail with the reason instead.
  await registerContract(catalog, c).catch((err: Error) => log.error({ err: err.message }, 'contract not registered'));
}
if (env.LAKE_SCHEDULES === 'true') await queues.syncSchedules(contracts);
log.info({ datasets: contracts.length, schedules: env.LAKE_SCHEDULES === 'true' }, 'contracts registered');

const worker = startStageWorker('scheduler', createSchedulerProcessor({ catalog, queues, schemasDir: env.LAKE_SCHEMAS_DIR, log }), {
  connection: queueConfig(env),
  concurrency: env.LAKE_CONCURRENCY,
  lockDurationMs: env.LAKE_LOCK_DURATION_MS,
  failpoints: env.LAKE_FAILPOINTS,
});
await runWorker({ app: 'scheduler', worker, healthPort: env.LAKE_HEALTH_PORT, nice: env.LAKE_CPU_NICE ?? CPU_NICE.scheduler, log, closers: [() => queues.close(), () => catalog.close()] });
