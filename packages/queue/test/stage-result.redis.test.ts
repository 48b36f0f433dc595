import { type ExtractResult, countingLongLists } from '@lake/contracts';
import { uniqueName } from '@lake/testing';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { startStageWorker } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };

const partition = (i: number) => ({ key: `["${i}"]`, partition: [['p', String(i)]] as Array<[string, string | null]>, rows: 10, fingerprint: `10:${i}` });
const staged = { object: { bucket: 'bijmantra-staging', path: 'phenotype/x/run-a/org=1.parquet' }, partition: [], rows: 3000, bytes: 100 };

describe('countingLongLists', () => {
  it('replaces lists longer than the limit by their length, at any depth, and keeps the rest', () => {
    const value = { files: Array.from({ length: 30 }, (_, i) => i), few: [1, 2], nested: { list: Array.from({ length: 21 }, () => ({})), n: 3, s: 'x', z: null } };
    expect(countingLongLists(value)).toEqual({ files: { count: 30 }, few: [1, 2], nested: { list: { count: 21 }, n: 3, s: 'x', z: null } });
    expect(countingLongLists([[1, 2, 3]], 2)).toEqual([{ count: 3 }]);
  });
});

describe('a stage job keeps its result as its queue says (Redis)', () => {
  const prefix = uniqueName('kept');
  const name = 'lake-extract';
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  let reply: unknown;
  const worker = startStageWorker('extract', async () => reply as ExtractResult, { connection: { ...connection, prefix } });
  afterAll(async () => {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('stores an extract result with its 300 partitions as counts, and fails a job whose result breaks the schema', async () => {
    await events.waitUntilReady();
    const keys = Array.from({ length: 300 }, (_, i) => `["${i}"]`);
    const common = { files: [staged], sourceRows: 3000, snapshot: { xmin: '1', takenAt: '2026-01-01T00:00:00Z' }, organizations: [1], mode: 'full', baseVersion: null };
    reply = { ...common, partitions: Array.from({ length: 300 }, (_, i) => partition(i)), changed: keys };
    const job = await queue.add('extract', { runId: 'run-a', dataset: 'phenotype.x', version: 1, contractHash: 'h' });
    const kept = await job.waitUntilFinished(events, 20_000);
    expect(kept).toEqual({ ...common, partitions: { count: 300 }, changed: { count: 300 } });

    reply = { files: 'not a list' };
    const bad = await queue.add('extract', { runId: 'run-b', dataset: 'phenotype.x', version: 1, contractHash: 'h' }, { attempts: 1 });
    await expect(bad.waitUntilFinished(events, 20_000)).rejects.toThrow(/returned an invalid result/);
  });
});
