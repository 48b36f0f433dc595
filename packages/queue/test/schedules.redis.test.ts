import { parseContract } from '@lake/contracts';
import { uniqueName } from '@lake/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LakeQueues } from '../src/index.js';

const contract = (name: string, schedule: string) =>
  parseContract(
    `
dataset: { name: ${name}, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: ${name}, key: [id] }
schedule: "${schedule}"
fields: [ { name: id, type: int32 } ]
`,
    name,
  );

describe('job schedulers from contracts (Redis)', () => {
  const opened: LakeQueues[] = [];
  afterAll(async () => {
    for (const q of opened) {
      await q.queue('scheduler').obliterate({ force: true });
      await q.close();
    }
  });

  it('leaves exactly one schedule and one pending tick per dataset when replicas sync at once', async () => {
    const prefix = uniqueName('sched');
    const replicas = Array.from({ length: 6 }, () => new LakeQueues({ host: '127.0.0.1', port: 6379, prefix }));
    opened.push(...replicas);
    const contracts = [contract('a', '0 2 * * *'), contract('b', '*/5 * * * *'), contract('c', '0 0 1 * *')];
    // Several scheduler pods starting together each upsert every schedule, twice.
    await Promise.all([...replicas, ...replicas].map((q) => q.syncSchedules(contracts)));
    const q = replicas[0] as LakeQueues;
    const schedulers = await q.queue('scheduler').getJobSchedulers(0, -1);
    expect(schedulers.map((s) => s.key).sort()).toEqual(['schedule-phenotype_a', 'schedule-phenotype_b', 'schedule-phenotype_c']);
    const delayed = await q.queue('scheduler').getDelayed(0, -1);
    const perDataset = new Map<string, number>();
    for (const job of delayed) perDataset.set(job.data.dataset, (perDataset.get(job.data.dataset) ?? 0) + 1);
    expect(Object.fromEntries(perDataset)).toEqual({ 'phenotype.a': 1, 'phenotype.b': 1, 'phenotype.c': 1 });
    expect(schedulers.find((s) => s.key === 'schedule-phenotype_b')?.pattern).toBe('*/5 * * * *');
  });

  it('follows a contract whose schedule changed and drops schedules of removed contracts', async () => {
    const prefix = uniqueName('sched');
    const q = new LakeQueues({ host: '127.0.0.1', port: 6379, prefix });
    opened.push(q);
    await q.syncSchedules([contract('a', '0 2 * * *'), contract('b', '0 3 * * *')]);
    await Promise.all([q.syncSchedules([contract('a', '30 1 * * *')]), q.syncSchedules([contract('a', '30 1 * * *')])]);
    const schedulers = await q.queue('scheduler').getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key, s.pattern])).toEqual([['schedule-phenotype_a', '30 1 * * *']]);
    const delayed = await q.queue('scheduler').getDelayed(0, -1);
    expect(delayed.map((j) => j.data.dataset)).toEqual(['phenotype.a']);
  });
});
