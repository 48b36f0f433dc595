import { parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, DatasetBusyError, failRun, getRun, openCatalog, registerContract, startRun } from '../src/index.js';

const contract = parseContract(
  `
dataset: { name: uploads, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot] }
fields: [ { name: plot, type: string } ]
`,
  'inline',
);

describe('file runs in the catalog (PostgreSQL)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('catalog_files');
    catalog = openCatalog({ url: db.url, schema: 'lake' });
    await catalog.migrate();
    await registerContract(catalog, contract);
  });
  afterAll(async () => {
    await catalog.close();
    await db.drop();
  });

  const input = (path: string, etag: string) => ({ bucket: 'bijmantra-raw', path, etag });
  const trigger = (path: string, etag: string) => ({
    dataset: 'phenotype.uploads',
    trigger: { kind: 'event' as const, key: `bijmantra-raw/${path}@${etag}` },
    requestedBy: 'test',
    full: false,
    allowBreaking: false,
    inputs: [input(path, etag)],
  });

  it('records a run\'s raw inputs; the same key and etag is the same run; other files wait for the active run', async () => {
    const a = await startRun(catalog, trigger('phenotype/uploads/u1/a.csv', 'e1'));
    expect(a.deduplicated).toBe(false);
    expect((await getRun(catalog, a.runId))?.inputs).toEqual([input('phenotype/uploads/u1/a.csv', 'e1')]);
    // The same notification again joins its run.
    expect(await startRun(catalog, trigger('phenotype/uploads/u1/a.csv', 'e1'))).toMatchObject({ runId: a.runId, deduplicated: true });
    // A new file, or new bytes under the same key, must not be folded into a run reading other files.
    await expect(startRun(catalog, trigger('phenotype/uploads/u1/b.csv', 'e2'))).rejects.toThrow(DatasetBusyError);
    await expect(startRun(catalog, trigger('phenotype/uploads/u1/a.csv', 'e3'))).rejects.toThrow(DatasetBusyError);
    await failRun(catalog, a.runId, 'extract', 'bijmantra-raw/phenotype/uploads/u1/a.csv: line 1: empty-file: the file is empty (0 bytes)');
    const b = await startRun(catalog, trigger('phenotype/uploads/u1/b.csv', 'e2'));
    expect(b.deduplicated).toBe(false);
    expect(b.version).toBe(a.version + 1);
  });

  it('keeps the first failure\'s reason when a parent stage fails because of it', async () => {
    const r = await startRun(catalog, trigger('phenotype/uploads/u2/c.csv', 'e4')).catch(async () => {
      const active = await catalog.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).execute();
      for (const x of active) await failRun(catalog, x.id, 'extract', 'stopped by the test');
      return startRun(catalog, trigger('phenotype/uploads/u2/c.csv', 'e4'));
    });
    await failRun(catalog, r.runId, 'extract', 'bijmantra-raw/phenotype/uploads/u2/c.csv: line 3: binary-file: not text');
    await failRun(catalog, r.runId, 'transform', 'child lake:lake-extract:x-extract failed');
    expect((await getRun(catalog, r.runId))?.error).toMatchObject({ stage: 'extract', message: expect.stringContaining('binary-file') });
  });
});
