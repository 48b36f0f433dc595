import { uniqueName } from '@lake/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LakeQueues, runWorker, startStageWorker } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };
const silent = { info: () => undefined, error: () => undefined };

describe('runWorker: health, readiness and metrics of a stage worker (Redis)', () => {
  const prefix = uniqueName('rtw');
  const queues = new LakeQueues({ ...connection, prefix });
  let ready = true;
  const worker = startStageWorker('scheduler', async (payload) => ({ runId: `run-${payload.trigger.key}`, version: 1, deduplicated: false }), { connection: { ...connection, prefix } });
  const runtime = runWorker({ app: 'scheduler', worker, healthPort: 0, log: silent, ready: async () => ready, shutdownGraceMs: 1000 });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${(await runtime).port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  afterAll(async () => {
    await (await runtime).stop();
    await queues.queue('scheduler').obliterate({ force: true });
    await queues.close();
  });

  it('answers /healthz, and /readyz from the readiness check', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok' });
    expect((await get('/readyz')).status).toBe(200);
    ready = false;
    expect(await get('/readyz')).toEqual({ status: 503, body: 'not ready' });
    ready = true;
    expect((await get('/nope')).status).toBe(404);
  });

  it('counts jobs and reports the process memory, heap included, in Prometheus text', async () => {
    await queues.triggerAndWait({ dataset: 'soil.soil_tests', trigger: { kind: 'manual', key: 'metrics' }, requestedBy: 'test', full: false, allowBreaking: false }, 20_000);
    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1]);
    expect(value('lake_jobs_completed_total')).toBe(1);
    expect(value('lake_jobs_active')).toBe(0);
    expect(body).toContain(`lake_jobs_completed_total{app="scheduler",queue="lake-scheduler"} 1`);
    for (const gauge of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes']) {
      expect(value(gauge), gauge).toBeGreaterThan(0);
    }
    expect(value('nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(value('nodejs_heap_size_total_bytes'));
  });
});
