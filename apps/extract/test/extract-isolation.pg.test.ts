import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, openCatalog, registerContract, startRun } from '@lake/catalog';
import { type ExtractResult, loadContract } from '@lake/contracts';
import { createSourceDatabase, dropSourceDatabase, seed, sourceTruth } from '@lake/fixture';
import { createLogger } from '@lake/logging';
import { bufferSource, readParquetBatches } from '@lake/parquet';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { type TestDatabase, createTestDatabase, pgAdminUrl, uniqueName } from '@lake/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractProcessor } from '../src/processor.js';
import { sourceQuery } from '../src/source-query.js';

const schemas = join(import.meta.dirname, '../../../schemas');

describe('extract keeps organizations apart (PostgreSQL, RLS)', () => {
  let dir: string;
  let catalogDb: TestDatabase;
  let catalog: Catalog;
  let source: { adminUrl: string; extractUrl: string; database: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extract-'));
    source = await createSourceDatabase({ adminUrl: pgAdminUrl(), database: uniqueName('src') });
    await seed(source.adminUrl, { rows: 5000, orgs: 3, seed: 3 });
    catalogDb = await createTestDatabase('catalog');
    catalog = openCatalog({ url: catalogDb.url });
    await catalog.migrate();
  });
  afterAll(async () => {
    await catalog.close();
    await catalogDb.drop();
    await dropSourceDatabase({ adminUrl: pgAdminUrl(), database: source.database });
    await rm(dir, { recursive: true, force: true });
  });

  it('the extract role sees only the organization set for the transaction, even without a filter', async () => {
    const contract = await loadContract(join(schemas, 'phenotype/observations.yaml'));
    const client = new pg.Client({ connectionString: source.extractUrl });
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const unfiltered = sourceQuery(contract);
      expect(unfiltered).not.toContain('WHERE');
      const none = await client.query(`SELECT count(*)::int AS n FROM (${unfiltered}) q`);
      expect(none.rows[0].n).toBe(0);
      await client.query("SELECT set_config('app.current_organization_id', '2', true)");
      const orgs = await client.query(`SELECT DISTINCT organization_id FROM (${unfiltered}) q`);
      expect(orgs.rows.map((r) => r.organization_id)).toEqual([2]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });

  it('writes one staging file per organization holding only that organization, in one snapshot', async () => {
    const contract = await loadContract(join(schemas, 'phenotype/observations.yaml'));
    await registerContract(catalog, contract);
    const run = await startRun(catalog, { dataset: 'phenotype.observations', trigger: { kind: 'manual', key: 'iso' }, requestedBy: 'test', full: true, allowBreaking: false });
    const store = createObjectStore({ kind: 'local', root: join(dir, 'store') });
    const layout = createStorageLayout(store.buckets);
    const extract = createExtractProcessor({ catalog, store, layout, sourceUrl: source.extractUrl, tmpDir: dir, log: createLogger('test', 'silent') });
    const result: ExtractResult = await extract(
      { runId: run.runId, dataset: 'phenotype.observations', contractHash: run.contractHash, version: run.version },
      { jobId: 'j', attempt: 1, lastAttempt: false, progress: async () => undefined, failpoint: async () => undefined },
    );
    const truth = await sourceTruth(source.adminUrl);
    expect(result.organizations).toEqual([1, 2, 3]);
    expect(result.sourceRows).toBe(truth.rowCounts.observations);
    for (const file of result.files) {
      const org = Number(file.partition[0]?.[1]);
      const seen = new Set<unknown>();
      let rows = 0;
      for await (const batch of readParquetBatches(bufferSource(await store.getBytes(layout.parseKey(`${file.object.bucket}/${file.object.path}`))))) {
        for (const v of batch.columns.organization_id ?? []) seen.add(v);
        rows += batch.rowCount;
      }
      expect([...seen]).toEqual([org]);
      expect(rows).toBe(truth.observationsByOrganization[String(org)]);
    }
  });
});
