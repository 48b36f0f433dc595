import { failRun, registerContract, startRun } from '@lake/catalog';
import { parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase, uniqueName } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { follow } from '../src/commands/run.js';
import { CliContext } from '../src/context.js';
import { env } from '../src/env.js';

const contract = parseContract(
  `
dataset: { name: follow_rows, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: follow_rows, key: [id] }
fields: [ { name: id, type: int32, nullable: false } ]
`,
  'inline',
);

describe('lake run following a run that fails (PostgreSQL catalog)', () => {
  let db: TestDatabase;
  let ctx: CliContext;
  beforeAll(async () => {
    db = await createTestDatabase('cli_follow');
    ctx = new CliContext({ ...env, LAKE_CATALOG_URL: db.url, LAKE_QUEUE_PREFIX: uniqueName('follow') });
    await registerContract(await ctx.catalog(), contract);
  });
  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  it("prints the failed stage's own reason, not the dependent stage's echo that lands first", async () => {
    const catalog = await ctx.catalog();
    const run = await startRun(catalog, { dataset: 'phenotype.follow_rows', trigger: { kind: 'manual', key: 'k1' }, requestedBy: 'test', full: true, allowBreaking: false });
    // The load fails because its child did, before the extract's worker records why.
    await failRun(catalog, run.runId, 'load', `child lake:lake-extract:${run.runId}-extract failed`);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const followed = follow(ctx, [{ dataset: 'phenotype.follow_rows', runId: run.runId, version: run.version }], 30_000);
      await new Promise((r) => setTimeout(r, 1000));
      await failRun(catalog, run.runId, 'extract', 'organization 2: the source refused the connection');
      expect(await followed).toBe(1);
    } finally {
      log.mockRestore();
    }
    expect(lines.filter((l) => l.includes('FAILED'))).toEqual([expect.stringMatching(/phenotype\.follow_rows: FAILED in extract: organization 2: the source refused the connection$/)]);
  });
});
