import { type DataFile, type RunEvent, parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, commitVersion, dropVersions, listVersions, openCatalog, referencedObjects, registerContract, retentionPlan, startRun } from '../src/index.js';

const contract = parseContract(
  `
dataset: { name: kept, domain: soil, schema_version: 1.0.0 }
source: { kind: postgres, table: kept, key: [id] }
retention: { keep_last: 2, keep_days: 1 }
fields: [ { name: id, type: int32 } ]
`,
  'inline',
);
const file = (path: string): DataFile => ({ object: { bucket: 'bijmantra-normalized', path }, partition: [], rows: 1, bytes: 1, columnStats: {} });
const event = (runId: string): RunEvent => ({ eventType: 'COMPLETE', eventTime: new Date().toISOString(), producer: 'p', schemaURL: 's', run: { runId }, job: { namespace: 'n', name: 'j' }, inputs: [], outputs: [] });

describe('retention (PostgreSQL)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('retention');
    catalog = openCatalog({ url: db.url });
    await catalog.migrate();
    await registerContract(catalog, contract);
    for (let i = 1; i <= 4; i++) {
      const run = await startRun(catalog, { dataset: 'soil.kept', trigger: { kind: 'manual', key: `k${i}` }, requestedBy: 't', full: false, allowBreaking: false });
      // v3 and v4 share a file, as an incremental version reusing an unchanged partition does.
      const files = i === 4 ? [file('soil/kept/v3/part-00000.parquet'), file('soil/kept/v4/part-00001.parquet')] : [file(`soil/kept/v${i}/part-00000.parquet`)];
      await commitVersion(catalog, { runId: run.runId, dataset: 'soil.kept', version: run.version, contractHash: run.contractHash, schemaVersion: '1.0.0', files, snapshot: {}, sourceRows: files.length, lineage: event(run.runId) });
    }
  });
  afterAll(async () => {
    await catalog.close();
    await db.drop();
  });

  it('keeps the last N or the young enough, never the current version, and keeps shared files referenced', async () => {
    expect(await retentionPlan(catalog)).toEqual([]); // every version is younger than a day
    const later = new Date(Date.now() + 3 * 86_400_000);
    const plan = await retentionPlan(catalog, later);
    expect(plan.map((d) => d.version)).toEqual([2, 1]);
    expect(plan[0]?.reason).toBe('not among the last 2 and older than 1 days');
    await dropVersions(catalog, plan);
    expect((await listVersions(catalog, 'soil.kept')).map((v) => v.version)).toEqual([4, 3]);
    const refs = await referencedObjects(catalog);
    expect(refs.has('bijmantra-normalized/soil/kept/v3/part-00000.parquet')).toBe(true);
    expect(refs.has('bijmantra-normalized/soil/kept/v1/part-00000.parquet')).toBe(false);
  });
});
