import { PermanentError } from '@lake/contracts';
import { uniqueName } from '@lake/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LakeQueues, startStageWorker } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };

describe('triggerAndWait: the scheduler answer reaches the caller (Redis)', () => {
  const prefix = uniqueName('taw');
  const queues = new LakeQueues({ ...connection, prefix });
  let runs = 0;
  const worker = startStageWorker(
    'scheduler',
    async (payload) => {
      if (payload.dataset === 'soil.refused') throw new PermanentError('no usable contract for soil.refused');
      runs += 1;
      return { runId: `run-${payload.trigger.key}`, version: runs, deduplicated: false };
    },
    { connection: { ...connection, prefix }, concurrency: 4 },
  );
  afterAll(async () => {
    await worker.close();
    await queues.queue('scheduler').obliterate({ force: true });
    await queues.close();
  });

  it('answers every one of 300 triggers sent one after another', async () => {
    for (let i = 0; i < 300; i++) {
      const answer = await queues.triggerAndWait({ dataset: 'soil.soil_tests', trigger: { kind: 'manual', key: `k${i}` }, requestedBy: 'test', full: false, allowBreaking: false }, 20_000);
      expect(answer.runId).toBe(`run-k${i}`);
    }
  });

  it('gives the same answer to the same trigger sent again, and the reason of a final failure', async () => {
    const payload = { dataset: 'soil.soil_tests', trigger: { kind: 'manual' as const, key: 'again' }, requestedBy: 'test', full: false, allowBreaking: false };
    const [a, b] = await Promise.all([queues.triggerAndWait(payload), queues.triggerAndWait(payload)]);
    expect(a).toEqual(b);
    await expect(queues.triggerAndWait({ ...payload, dataset: 'soil.refused' }, 20_000)).rejects.toThrow('no usable contract for soil.refused');
  });
});
