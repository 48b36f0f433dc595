import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, openCatalog, registerContract, startRun } from '@lake/catalog';
import { type DatasetContract, type ExtractResult, datasetId, isFileSource, loadContracts } from '@lake/contracts';
import { createSourceDatabase, dropSourceDatabase, seed, sourceTruth, type SourceTruth } from '@lake/fixture';
import { createLogger } from '@lake/logging';
import { bufferSource, readParquetBatches } from '@lake/parquet';
import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import { type TestDatabase, createTestDatabase, pgAdminUrl, uniqueName } from '@lake/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractProcessor } from '../src/processor.js';
import { fingerprintQuery, insertOnlyWatermark } from '../src/source-query.js';

const schemas = join(import.meta.dirname, '../../../schemas');
const ORGS = 3;

/** Every staged row of an extract, column by column. */
async function stagedRows(store: ObjectStore, layout: StorageLayout, result: ExtractResult): Promise<Array<{ partition: Array<[string, string | null]>; rows: Array<Record<string, unknown>> }>> {
  const out = [];
  for (const file of result.files) {
    const rows: Array<Record<string, unknown>> = [];
    for await (const batch of readParquetBatches(bufferSource(await store.getBytes(layout.parseKey(`${file.object.bucket}/${file.object.path}`))))) {
      for (let i = 0; i < batch.rowCount; i++) rows.push(Object.fromEntries(Object.entries(batch.columns).map(([name, values]) => [name, values[i]])));
    }
    out.push({ partition: file.partition, rows });
  }
  return out;
}

describe('extract reads every domain as its contract says (PostgreSQL, PostGIS, RLS)', () => {
  let dir: string;
  let catalogDb: TestDatabase;
  let catalog: Catalog;
  let source: { adminUrl: string; extractUrl: string; database: string };
  let contracts: DatasetContract[];
  let truth: SourceTruth;
  let store: ObjectStore;
  let layout: StorageLayout;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extract-domains-'));
    source = await createSourceDatabase({ adminUrl: pgAdminUrl(), database: uniqueName('src') });
    await seed(source.adminUrl, { rows: 2000, orgs: ORGS, seed: 11 });
    truth = await sourceTruth(source.adminUrl);
    catalogDb = await createTestDatabase('catalog');
    catalog = openCatalog({ url: catalogDb.url });
    await catalog.migrate();
    contracts = (await loadContracts(schemas)).filter((c) => c.dataset.domain !== 'phenotype' && !isFileSource(c));
    store = createObjectStore({ kind: 'local', root: join(dir, 'store') });
    layout = createStorageLayout(store.buckets);
  });
  afterAll(async () => {
    await catalog.close();
    await catalogDb.drop();
    await dropSourceDatabase({ adminUrl: pgAdminUrl(), database: source.database });
    await rm(dir, { recursive: true, force: true });
  });

  async function extract(contract: DatasetContract): Promise<ExtractResult> {
    const id = datasetId(contract);
    await registerContract(catalog, contract);
    const run = await startRun(catalog, { dataset: id, trigger: { kind: 'manual', key: uniqueName('k') }, requestedBy: 'test', full: true, allowBreaking: false });
    const processor = createExtractProcessor({ catalog, store, layout, sourceUrl: source.extractUrl, tmpDir: dir, log: createLogger('test', 'silent') });
    return processor(
      { runId: run.runId, dataset: id, contractHash: run.contractHash, version: run.version },
      { jobId: 'j', attempt: 1, lastAttempt: false, progress: async () => undefined, failpoint: async () => undefined },
    );
  }

  it('has contracts for the four other domains', () => {
    expect(new Set(contracts.map((c) => c.dataset.domain))).toEqual(new Set(['genotype', 'sensor', 'climate', 'soil']));
    expect(contracts.map(datasetId)).toEqual(expect.arrayContaining(['genotype.calls', 'sensor.iot_telemetry', 'climate.weather_historical', 'soil.soil_tests']));
  });

  it('stages every source row of every table, each organization in its own file', async () => {
    for (const contract of contracts) {
      const id = datasetId(contract);
      const result = await extract(contract);
      expect(result.sourceRows, id).toBe(truth.rowCounts[contract.source.table as keyof typeof truth.rowCounts]);
      expect(result.sourceRows, `${id} is seeded`).toBeGreaterThan(0);
      expect(result.partitions.reduce((n, p) => n + p.rows, 0), id).toBe(result.sourceRows);
      if (!contract.source.org_scope) continue;
      expect(result.organizations, id).toHaveLength(ORGS);
      for (const file of await stagedRows(store, layout, result)) {
        const org = Number(file.partition[0]?.[1]);
        expect(new Set(file.rows.map((r) => r[contract.source.org_scope as string])), `${id} org ${org}`).toEqual(new Set([org]));
      }
    }
  });

  it('turns PostGIS points into longitude/latitude and never stages the geometry', async () => {
    const devices = contracts.find((c) => datasetId(c) === 'sensor.iot_devices') as DatasetContract;
    const staged = (await stagedRows(store, layout, await extract(devices))).flatMap((f) => f.rows);
    const admin = new pg.Client({ connectionString: source.adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ id: number; x: number | null; y: number | null }>('SELECT id, ST_X(coordinates) AS x, ST_Y(coordinates) AS y FROM iot_devices');
      expect(rows.length).toBeGreaterThan(0);
      const byId = new Map(staged.map((r) => [r.id, r]));
      for (const r of rows) {
        expect(byId.get(r.id)?.longitude, `device ${r.id}`).toBe(r.x);
        expect(byId.get(r.id)?.latitude, `device ${r.id}`).toBe(r.y);
      }
      expect(staged.every((r) => !('coordinates' in r))).toBe(true);
    } finally {
      await admin.end();
    }
  });

  it('scopes parentless tables through their parent: sensors and telemetry carry their device organization', async () => {
    const admin = new pg.Client({ connectionString: source.adminUrl });
    await admin.connect();
    try {
      for (const name of ['iot_sensors', 'iot_telemetry']) {
        const contract = contracts.find((c) => c.dataset.name === name) as DatasetContract;
        const staged = (await stagedRows(store, layout, await extract(contract))).flatMap((f) => f.rows);
        const { rows } = await admin.query<{ organization_id: number; n: string }>(
          `SELECT d.organization_id, count(*) AS n FROM ${name} t JOIN iot_devices d ON d.id = t.device_id GROUP BY 1 ORDER BY 1`,
        );
        const counts = new Map<number, number>();
        for (const r of staged) counts.set(r.organization_id as number, (counts.get(r.organization_id as number) ?? 0) + 1);
        expect(Object.fromEntries(counts), name).toEqual(Object.fromEntries(rows.map((r) => [r.organization_id, Number(r.n)])));
      }
    } finally {
      await admin.end();
    }
  });

  it('reads soil tests only through lake_extract_soil_tests, one explicit organization at a time', async () => {
    const extractRole = new pg.Client({ connectionString: source.extractUrl });
    await extractRole.connect();
    try {
      await extractRole.query("SELECT set_config('app.current_organization_id', '0', false)");
      const direct = await extractRole.query('SELECT count(*)::int AS n FROM soil_tests');
      expect(direct.rows[0].n).toBe(0);
    } finally {
      await extractRole.end();
    }
    const soil = contracts.find((c) => datasetId(c) === 'soil.soil_tests') as DatasetContract;
    const result = await extract(soil);
    expect(result.sourceRows).toBe(truth.rowCounts.soil_tests);
    expect(result.files).toHaveLength(ORGS);
  });

  it('insert-only fingerprints: a late row that replaces a deleted one inside the overlap is caught, untouched partitions are not', async () => {
    const telemetry = contracts.find((c) => datasetId(c) === 'sensor.iot_telemetry') as DatasetContract;
    const reader = new pg.Client({ connectionString: source.extractUrl });
    const admin = new pg.Client({ connectionString: source.adminUrl });
    await reader.connect();
    await admin.connect();
    const fingerprints = async (base?: { txids: string; watermarks: Record<string, string> }) => {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await reader.query("SET LOCAL TimeZone = 'UTC'");
      const snap = await reader.query<{ txids: string; xmax: string }>('SELECT s::text AS txids, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() s');
      await reader.query("SELECT set_config('app.current_organization_id', '0', true)");
      const xmax8 = snap.rows[0]?.xmax as string;
      const { rows } = await reader.query<{ key: string; fingerprint: string; fresh_rows: string }>(fingerprintQuery(telemetry, undefined, base && { ...base, xmax8 }));
      await reader.query('COMMIT');
      return { txids: snap.rows[0]?.txids as string, rows: new Map(rows.map((r) => [r.key, { ...r, fresh: Number(r.fresh_rows) > 0 }])) };
    };
    try {
      const before = await fingerprints();
      const watermarks = Object.fromEntries([...before.rows].map(([k, r]) => [k, insertOnlyWatermark(telemetry, r.fingerprint)]));
      // In one partition: one reading deleted and one arriving late, an hour before the latest.
      const [victim] = (
        await admin.query<{ id: number; device_id: number; sensor_id: number }>(
          `SELECT t.id, t.device_id, t.sensor_id FROM iot_telemetry t
           JOIN (SELECT device_id, max("timestamp") AS latest FROM iot_telemetry GROUP BY 1 ORDER BY 1 LIMIT 1) d USING (device_id)
           WHERE t."timestamp" <= d.latest - interval '2 hours' ORDER BY t."timestamp" DESC LIMIT 1`,
        )
      ).rows;
      if (!victim) throw new Error('no telemetry seeded');
      await admin.query('DELETE FROM iot_telemetry WHERE id = $1', [victim.id]);
      await admin.query(
        `INSERT INTO iot_telemetry ("timestamp", device_id, sensor_id, value, created_at, updated_at)
         SELECT max("timestamp") - interval '1 hour', $1, $2, 21.5, now(), now() FROM iot_telemetry WHERE device_id = $1`,
        [victim.device_id, victim.sensor_id],
      );
      const after = await fingerprints({ txids: before.txids, watermarks });
      const changed = [...after.rows.values()].filter((r) => r.fresh || before.rows.get(r.key)?.fingerprint !== r.fingerprint);
      expect(changed).toHaveLength(1);
      expect(changed[0]?.fresh).toBe(true);
      // Count, joined rows and largest cursor are unchanged: only the row-level check saw it.
      expect(changed[0]?.fingerprint).toBe(before.rows.get(changed[0]?.key as string)?.fingerprint);
      expect(JSON.parse(changed[0]?.key as string)[0]).toBe(String(victim.device_id));
    } finally {
      await reader.end();
      await admin.end();
    }
  });
});
