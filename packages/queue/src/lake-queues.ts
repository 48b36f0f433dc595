import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import {
  type DatasetContract,
  type PayloadOf,
  type QueueKey,
  type RunRef,
  type TriggerPayload,
  type TriggerResult,
  datasetId,
  jobCatalog,
  stageJobId,
  triggerResult,
} from '@lake/contracts';
import { type QueueConnectionConfig, redisOptions } from './connection.js';

/** Completed jobs stay long enough for deduplication by job id and for operators to look. */
const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 }, removeOnFail: { age: 30 * 24 * 3600 } };

/** Producer side of every lake queue: typed, validated enqueueing, run flows, schedules. */
export class LakeQueues {
  readonly prefix: string;
  private readonly queues = new Map<QueueKey, Queue>();
  private readonly flows: FlowProducer;

  constructor(readonly config: QueueConnectionConfig) {
    this.prefix = config.prefix ?? 'lake';
    this.flows = new FlowProducer({ connection: redisOptions(config), prefix: this.prefix });
  }

  queue(key: QueueKey): Queue {
    let q = this.queues.get(key);
    if (!q) {
      q = new Queue(jobCatalog[key].name, { connection: redisOptions(this.config), prefix: this.prefix });
      this.queues.set(key, q);
    }
    return q;
  }

  /** Adds one job after validating its payload against the job catalog. */
  async enqueue<K extends QueueKey>(key: K, payload: PayloadOf<K>, opts: JobsOptions = {}) {
    const def = jobCatalog[key];
    const data = def.payload.parse(payload);
    return this.queue(key).add(key, data, { attempts: def.attempts, backoff: { type: 'exponential', delay: 2000 }, ...KEEP, ...opts });
  }

  /**
   * Sends a trigger to the scheduler. The job id derives from the trigger, so the same trigger
   * sent twice (even at once) is one job; the scheduler maps it to one run.
   */
  async trigger(payload: TriggerPayload) {
    const jobId = `trigger-${payload.dataset.replace('.', '_')}-${payload.trigger.kind}-${hashKey(payload.trigger.key)}`;
    // Files arriving while their dataset has a run wait for it: the scheduler refuses them as busy
    // and BullMQ retries every 2 s for up to an hour.
    const waits = payload.inputs !== undefined || payload.replay === true;
    return this.enqueue('scheduler', payload, waits ? { jobId, attempts: 1800, backoff: { type: 'fixed', delay: 2000 } } : { jobId });
  }

  /**
   * Sends a trigger and waits for the scheduler to answer with the run it started or joined.
   * Polls the job's state rather than listening on QueueEvents: an event stream read from `$`
   * misses a completion that lands between the "already finished?" check and the stream's first
   * read, and a scheduler answers in milliseconds, so under load that window was hit.
   */
  async triggerAndWait(payload: TriggerPayload, timeoutMs = 180_000): Promise<TriggerResult> {
    const job = await this.trigger(payload);
    const id = job.id as string;
    const deadline = Date.now() + timeoutMs;
    let pause = 10;
    const queue = this.queue('scheduler');
    for (;;) {
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') {
        const done = await queue.getJob(id);
        if (state === 'completed') return triggerResult.parse(done?.returnvalue);
        throw new Error(done?.failedReason || `trigger job ${id} failed`);
      }
      if (state === 'unknown') throw new Error(`trigger job ${id} disappeared before the scheduler answered`);
      if (Date.now() > deadline) throw new Error(`the scheduler's answer to ${id} timed out after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 200);
    }
  }

  /**
   * Creates a run's flow: extract and transform, then load, then catalog, with deterministic job
   * ids, so a retried scheduler job cannot create a second flow. Extract and transform are both
   * children of load and start together: the transform reads the files the extract shares as it
   * finishes them (`shareStageProgress`), or waits for its result, and load starts once both are done.
   */
  async addRunFlow(ref: RunRef): Promise<void> {
    const existing = await this.queue('catalog').getJob(stageJobId(ref.runId, 'catalog'));
    if (existing) return;
    const opts = (key: QueueKey, stage: 'extract' | 'transform' | 'load' | 'catalog'): JobsOptions => ({
      jobId: stageJobId(ref.runId, stage),
      attempts: jobCatalog[key].attempts,
      backoff: { type: 'exponential', delay: 2000 },
      failParentOnFailure: true,
      ...KEEP,
    });
    await this.flows.add({
      name: 'catalog',
      queueName: jobCatalog.catalog.name,
      data: ref,
      opts: opts('catalog', 'catalog'),
      children: [
        {
          name: 'load',
          queueName: jobCatalog.load.name,
          data: ref,
          opts: opts('load', 'load'),
          children: [
            { name: 'extract', queueName: jobCatalog.extract.name, data: ref, opts: opts('extract', 'extract') },
            { name: 'transform', queueName: jobCatalog.transform.name, data: ref, opts: opts('transform', 'transform') },
          ],
        },
      ],
    });
  }

  /**
   * Makes the job schedulers match the contracts: one per dataset, upserted by a stable id, so
   * several scheduler replicas upserting at once still leave exactly one schedule per dataset.
   */
  async syncSchedules(contracts: DatasetContract[]): Promise<void> {
    const q = this.queue('scheduler');
    const wanted = new Set<string>();
    // File datasets run when files arrive; they get a schedule only when the contract gives one.
    for (const c of contracts.filter((x) => x.schedule !== '')) {
      const id = datasetId(c);
      const schedulerId = `schedule-${id.replace('.', '_')}`;
      wanted.add(schedulerId);
      await q.upsertJobScheduler(
        schedulerId,
        { pattern: c.schedule, tz: 'UTC' },
        { name: 'scheduled', data: { dataset: id, trigger: { kind: 'schedule', key: 'cron' }, requestedBy: 'scheduler', full: false }, opts: { ...KEEP } },
      );
    }
    for (const s of await q.getJobSchedulers(0, -1)) {
      if (s.key.startsWith('schedule-') && !wanted.has(s.key)) await q.removeJobScheduler(s.key);
    }
  }

  /** Removes every queue of this prefix with all its jobs: for tests and benches ending their lake. */
  async obliterate(): Promise<void> {
    for (const key of Object.keys(jobCatalog) as QueueKey[]) await this.queue(key).obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows.close();
  }
}

/** Job ids allow no `:`; a short stable hash keeps any trigger key usable. */
function hashKey(key: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
