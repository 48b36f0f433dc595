import { type Catalog, beginStage, failRun, finishStage, getRun, listVersions, openCatalog, recordRunFiles, registerContract, startRun, versionFiles } from '@lake/catalog';
import { type DataFile, PermanentError, parseContract } from '@lake/contracts';
import { createLogger } from '@lake/logging';
import type { StageContext } from '@lake/queue';
import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import { type TestDatabase, createTestDatabase, testS3Env, uniqueName } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadProcessor } from '../src/processor.js';

const contract = parseContract(
  `
dataset: { name: plots, domain: soil, schema_version: 1.0.0 }
source: { kind: postgres, table: plots, key: [id], partition_by: [site] }
fields: [ { name: id, type: int32 }, { name: site, type: string } ]
quality: { max_error_rate: 0.5 }
`,
  'inline',
);

describe('load (PostgreSQL catalog, S3)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  let store: ObjectStore;
  let layout: StorageLayout;
  beforeAll(async () => {
    db = await createTestDatabase('load');
    catalog = openCatalog({ url: db.url, schema: 'lake' });
    await catalog.migrate();
    await registerContract(catalog, contract);
    const tag = uniqueName('load').replaceAll('_', '-');
    store = createObjectStore({ kind: 's3', ...testS3Env(), buckets: { raw: `${tag}-raw`, normalized: `${tag}-normalized`, curated: `${tag}-curated`, metadata: `${tag}-metadata` } });
    await store.ensureBuckets();
    layout = createStorageLayout(store.buckets);
  });
  afterAll(async () => {
    await catalog.close();
    await db.drop();
  });

  let load: ReturnType<typeof createLoadProcessor>;
  beforeAll(() => {
    load = createLoadProcessor({ catalog, store, layout, sourceNamespace: 'postgres://db:5432/bijmantra', storeNamespace: 's3://minio:9000', log: createLogger('load-test', 'silent') });
  });

  /** A run whose transform wrote `sites` data files (20 bytes a row) and one quarantine file. */
  async function transformedRun(key: string, sites: string[]) {
    const run = await startRun(catalog, { dataset: 'soil.plots', trigger: { kind: 'manual', key }, requestedBy: 'test', full: false, allowBreaking: false });
    const file = async (dataset: string, site: string, rows: number): Promise<DataFile> => {
      const k = layout.normalizedKey('soil', dataset, run.version, [['site', site]], 'part-00000.parquet');
      const put = await store.put(k, new Uint8Array(rows * 20));
      return { object: { bucket: k.bucket, path: k.path }, partition: [['site', site]], rows, bytes: put.size, columnStats: { id: { nullCount: 0, min: 1, max: rows } } };
    };
    const data = await Promise.all(sites.map((s) => file('plots', s, 10)));
    const quarantine = [await file('plots_quarantine', sites[0] as string, 1)];
    const partitions = sites.map((s, i) => ({ key: JSON.stringify([s]), partition: [['site', s]], rows: i === 0 ? 11 : 10, fingerprint: `f${s}` }));
    await beginStage(catalog, run.runId, 'extract');
    await finishStage(catalog, run.runId, 'extract', { files: [], sourceRows: sites.length * 10 + 1, snapshot: { xmin: '1', takenAt: new Date().toISOString() }, organizations: [], mode: 'full', baseVersion: null, partitions, changed: partitions.map((p) => p.key), appended: [], baseFiles: 'unchanged-partitions', conversions: [] });
    await beginStage(catalog, run.runId, 'transform');
    await recordRunFiles(catalog, run.runId, 'data', data);
    await recordRunFiles(catalog, run.runId, 'quarantine', quarantine);
    const inputRows = sites.length * 10 + 1;
    await finishStage(catalog, run.runId, 'transform', { files: data.length, quarantine: { files: 1, rows: 1 }, inputRows, loadedRows: inputRows - 1, quarantineByRule: [{ column: 'id', rule: 'type', rows: 1 }] });
    return { run, data, quarantine };
  }

  const context = (progress: unknown[]): StageContext => ({ jobId: 'j', attempt: 1, lastAttempt: false, progress: async (v) => void progress.push(v), failpoint: async () => undefined });
  const job = (run: { runId: string; version: number; contractHash: string }) => ({ runId: run.runId, dataset: 'soil.plots', version: run.version, contractHash: run.contractHash });

  it('refuses to commit while a file is missing or has another size, then commits once all are there', async () => {
    const sites = Array.from({ length: 300 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    const { run, data } = await transformedRun('k1', sites);
    const missing = data[123] as DataFile;
    const missingKey = layout.parseKey(`${missing.object.bucket}/${missing.object.path}`);
    await store.delete([missingKey]);
    await expect(load(job(run), context([]))).rejects.toThrow(`object ${missing.object.bucket}/${missing.object.path} is missing; the load will be retried`);
    await store.put(missingKey, new Uint8Array(7));
    await expect(load(job(run), context([]))).rejects.toThrow(`object ${missing.object.bucket}/${missing.object.path} has 7 bytes, expected 200`);
    expect(await listVersions(catalog, 'soil.plots')).toEqual([]);

    await store.put(missingKey, new Uint8Array(200));
    const progress: unknown[] = [];
    expect(await load(job(run), context(progress))).toEqual({ committed: true, version: run.version, rows: 3000, alreadyCommitted: false });
    // Checked a page at a time: 300 data files and one quarantine file.
    expect(progress.at(-1)).toEqual({ stage: 'load', files: 301, of: 301 });
    expect(progress.length).toBeGreaterThan(1);
    const files = await versionFiles(catalog, 'soil.plots', run.version);
    expect(files.map((f) => f.path)).toEqual(data.map((f) => f.object.path).sort());
    expect((await versionFiles(catalog, 'soil.plots_quarantine', run.version)).map((f) => f.row_count)).toEqual(['1']);
    expect((await getRun(catalog, run.runId))?.status).toBe('committed');

    // A duplicated or retried load finds the version.
    expect(await load(job(run), context([]))).toEqual({ committed: true, version: run.version, rows: 3000, alreadyCommitted: true });
  });

  it('waits while the files the transform recorded are not the ones it reported', async () => {
    const { run } = await transformedRun('k3', ['a', 'b', 'c']);
    await catalog.db.deleteFrom('run_files').where('run_id', '=', run.runId).where('path', 'like', '%site=b%').execute();
    await expect(load(job(run), context([]))).rejects.toThrow(`run ${run.runId}: the transform reported 3 data and 1 quarantine files but recorded 2 and 1; the load will be retried`);
    expect((await listVersions(catalog, 'soil.plots')).map((v) => v.run_id)).not.toContain(run.runId);
    // Ends the run, so the next trigger starts its own instead of joining this one.
    await failRun(catalog, run.runId, 'load', 'test over');
  });

  it('refuses a version whose rows do not add up to the snapshot, permanently', async () => {
    const { run } = await transformedRun('k2', ['a', 'b']);
    await catalog.db
      .updateTable('run_stages')
      .set({ result: sqlJson({ files: [], sourceRows: 22, snapshot: { xmin: '1', takenAt: new Date().toISOString() }, organizations: [], mode: 'full', baseVersion: null, partitions: [{ key: '["a"]', partition: [['site', 'a']], rows: 12, fingerprint: 'x' }, { key: '["b"]', partition: [['site', 'b']], rows: 10, fingerprint: 'y' }], changed: [], appended: [], baseFiles: 'unchanged-partitions', conversions: [] }) })
      .where('run_id', '=', run.runId)
      .where('stage', '=', 'extract')
      .execute();
    const failed = load(job(run), context([]));
    await expect(failed).rejects.toBeInstanceOf(PermanentError);
    await expect(failed).rejects.toThrow('version would hold 21 rows (loaded + quarantined) but the source snapshot has 22');
    expect((await listVersions(catalog, 'soil.plots')).map((v) => v.run_id)).not.toContain(run.runId);
  });
});

const sqlJson = (value: unknown) => JSON.stringify(value) as never;
