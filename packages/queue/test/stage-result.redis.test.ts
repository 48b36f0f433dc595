import { type TransformResult, countingLongLists } from '@lake/contracts';
import { uniqueName } from '@lake/testing';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { startStageWorker } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };

const file = (i: number) => ({ object: { bucket: 'bijmantra-normalized', path: `phenotype/x/v=1/p=${i}/part-00000.parquet` }, partition: [['p', String(i)]] as Array<[string, string | null]>, rows: 10, bytes: 100, columnStats: { p: { nullCount: 0, min: i, max: i } } });

describe('countingLongLists', () => {
  it('replaces lists longer than the limit by their length, at any depth, and keeps the rest', () => {
    const value = { files: Array.from({ length: 30 }, (_, i) => i), few: [1, 2], nested: { list: Array.from({ length: 21 }, () => ({})), n: 3, s: 'x', z: null } };
    expect(countingLongLists(value)).toEqual({ files: { count: 30 }, few: [1, 2], nested: { list: { count: 21 }, n: 3, s: 'x', z: null } });
    expect(countingLongLists([[1, 2, 3]], 2)).toEqual([{ count: 3 }]);
  });
});

describe('a stage job keeps its result as its queue says (Redis)', () => {
  const prefix = uniqueName('kept');
  const name = 'lake-transform';
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  let reply: unknown;
  const worker = startStageWorker('transform', async () => reply as TransformResult, { connection: { ...connection, prefix } });
  afterAll(async () => {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('stores a transform result with its 300 files as counts, and fails a job whose result breaks the schema', async () => {
    await events.waitUntilReady();
    reply = { files: Array.from({ length: 300 }, (_, i) => file(i)), quarantine: { files: [file(0)], rows: 2 }, inputRows: 3002, loadedRows: 3000, quarantineByRule: [] };
    const job = await queue.add('transform', { runId: 'run-a', dataset: 'phenotype.x', version: 1, contractHash: 'h' });
    const kept = await job.waitUntilFinished(events, 20_000);
    expect(kept).toEqual({ files: { count: 300 }, quarantine: { files: [file(0)], rows: 2 }, inputRows: 3002, loadedRows: 3000, quarantineByRule: [] });

    reply = { files: 'not a list' };
    const bad = await queue.add('transform', { runId: 'run-b', dataset: 'phenotype.x', version: 1, contractHash: 'h' }, { attempts: 1 });
    await expect(bad.waitUntilFinished(events, 20_000)).rejects.toThrow(/returned an invalid result/);
  });
});
