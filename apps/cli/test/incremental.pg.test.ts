import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FileRow, listVersions, resolveVersion, versionFiles, versionLayers } from '@lake/catalog';
import { layeredSelect } from '@lake/query';
import { QUARANTINE_COLUMNS, datasetId, isFileSource, loadContracts } from '@lake/contracts';
import { mutate } from '@lake/fixture';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { testS3Env } from '@lake/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeHarness } from './lake-harness.js';

/** Every dataset of the five domains read from PostgreSQL (file datasets are ingested, not run). */
const DATASETS = (await loadContracts(join(import.meta.dirname, '../../../schemas'))).filter((c) => !isFileSource(c)).map(datasetId);
/** Quarantine columns that name the run and staging position, which differ between any two runs. */
const RUN_SPECIFIC = new Set(['run_id', 'source_file', 'row_number']);

/**
 * The SELECT of a dataset's current version over local copies of its files (downloaded from S3
 * when needed), delta layers applied; undefined when it has no rows' files.
 */
async function currentFiles(lake: LakeHarness, dataset: string): Promise<string | undefined> {
  const version = await resolveVersion(lake.catalog, dataset, { kind: 'current' });
  if (!version) return undefined;
  const s3 = lake.env.LAKE_STORE === 's3';
  const store = s3 ? createObjectStore({ kind: 's3', ...testS3Env(), buckets: lake.buckets }) : createObjectStore({ kind: 'local', root: lake.env.LAKE_STORE_DIR as string, buckets: lake.buckets });
  const layout = createStorageLayout(store.buckets);
  const paths = new Map<FileRow, string>();
  const files = await versionFiles(lake.catalog, dataset, version.version);
  for (const f of files) {
    const key = layout.parseKey(`${f.bucket}/${f.path}`);
    if (!s3) {
      paths.set(f, fileURLToPath(await store.presignGet(key)));
      continue;
    }
    const local = join(lake.tmp, 'compare', f.bucket, f.path);
    await mkdir(join(local, '..'), { recursive: true });
    await writeFile(local, await store.getBytes(key));
    paths.set(f, local);
  }
  const layers = versionLayers(files);
  return layers.length ? layeredSelect(layers, (f) => paths.get(f) as string) : undefined;
}

/** Rows in `a` and not in `b` plus rows in `b` and not in `a` (multiset difference), via DuckDB. */
async function differences(a: string | undefined, b: string | undefined, columns = '*'): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const rel = (version: string | undefined) => (version ? `SELECT ${columns} FROM (${version})` : null);
    const [ra, rb] = [rel(a), rel(b)];
    if (!ra && !rb) return 0;
    const count = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0]);
    if (!ra || !rb) return count(`SELECT count(*) FROM (${ra ?? rb})`);
    return (await count(`SELECT count(*) FROM (${ra} EXCEPT ALL ${rb})`)) + (await count(`SELECT count(*) FROM (${rb} EXCEPT ALL ${ra})`));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** How the last version of observations compared keys with its base (`bits` in JavaScript, or DuckDB's `anti-joins`). */
async function comparedBy(lake: LakeHarness): Promise<string | undefined> {
  const [v] = await listVersions(lake.catalog, 'phenotype.observations');
  const extract = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', v?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
  return (extract.result as { delta?: { compared?: string } }).delta?.compared;
}

// Every mutation below goes through a delta for observations, however many rows it touches (the
// default falls back to a full run past 10%); keys are compared, and changed rows fetched, 1,000
// at a time, as a large table's are.
const EXTRACT_ENV = { LAKE_DELTA_MAX_SHARE: '0.5', LAKE_DELTA_SLICE_KEYS: '1000' };

describe('incremental versions equal a fresh full snapshot, run after run (PostgreSQL, Redis, S3)', () => {
  let lake: LakeHarness;
  let reference: LakeHarness;
  let admin: pg.Client;
  let held: pg.Client;
  let churn: pg.Client;
  let churning: Promise<unknown> | undefined;
  let stopChurn = false;
  beforeAll(async () => {
    lake = await LakeHarness.create({ rows: 20_000, orgs: 3 });
    reference = await LakeHarness.create({ rows: 0, orgs: 0, sourceDb: lake.sourceDb, store: 'local' });
    lake.startAll({ extract: EXTRACT_ENV });
    reference.startAll();
    admin = new pg.Client({ connectionString: lake.sourceAdminUrl });
    await admin.connect();
    held = new pg.Client({ connectionString: lake.sourceAdminUrl });
    await held.connect();
    // Other writers keep taking transaction ids while runs scan, as on a live database: a
    // comparison with the base snapshot must not depend on when a connection first counts ages.
    churn = new pg.Client({ connectionString: lake.sourceAdminUrl });
    await churn.connect();
    const tick = () => {
      churning = churn
        .query('SELECT txid_current()')
        .then(() => new Promise((r) => setTimeout(r, 20)))
        .then(() => (stopChurn ? undefined : tick()), () => undefined);
    };
    tick();
  });
  afterAll(async () => {
    stopChurn = true;
    await churning;
    await churn?.end();
    await held?.end();
    await admin?.end();
    await reference?.destroy();
    await lake?.destroy();
  });

  /** Runs the lake incrementally and the reference lake in full, then compares every dataset. */
  async function runAndCompare(): Promise<void> {
    const [inc, full] = await Promise.all([lake.cli(['run', 'all']), reference.cli(['run', 'all', '--full'])]);
    expect(inc.code, inc.stdout + inc.stderr).toBe(0);
    expect(full.code, full.stdout + full.stderr).toBe(0);
    const quarantineCols = QUARANTINE_COLUMNS.filter((c) => !RUN_SPECIFIC.has(c.name)).map((c) => `"${c.name}"`).join(', ');
    for (const ds of DATASETS) {
      expect(await differences(await currentFiles(lake, ds), await currentFiles(reference, ds)), ds).toBe(0);
      const q = `${ds}_quarantine`;
      expect(await differences(await currentFiles(lake, q), await currentFiles(reference, q), quarantineCols), q).toBe(0);
    }
  }

  it('starts from a full version of every dataset of the five domains', async () => {
    await runAndCompare();
    for (const ds of DATASETS) expect((await listVersions(lake.catalog, ds)).length, ds).toBe(1);
    const [v] = await listVersions(lake.catalog, 'phenotype.observations');
    expect(v?.snapshot).toMatchObject({ partitions: expect.any(Number) });
  });

  it('catches inserts, updates with and without updated_at, scale changes, cascading deletes and org moves', async () => {
    await admin.query(`
      INSERT INTO observations (organization_id, observation_unit_id, observation_variable_id, study_id, germplasm_id, observation_db_id, collector,
                                observation_time_stamp, value, created_at, updated_at)
      SELECT organization_id, observation_unit_id, observation_variable_id, study_id, germplasm_id, observation_db_id || '-new', collector,
             observation_time_stamp, value, now(), now()
      FROM observations WHERE id % 157 = 3;
      UPDATE observations SET value = value || '0', updated_at = now() WHERE id % 97 = 0;
      UPDATE observations SET collector = 'corrected by hand' WHERE id % 101 = 1;          -- updated_at forgotten
      UPDATE observation_variables SET valid_values = '{"min": 0, "max": 150}' WHERE id = (SELECT min(id) FROM observation_variables WHERE data_type = 'Numerical');
      UPDATE observations SET organization_id = 2 WHERE organization_id = 1 AND id % 211 = 0;
      WITH doomed AS (SELECT s.id FROM studies s WHERE s.trial_id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3))
      DELETE FROM observations WHERE study_id IN (SELECT id FROM doomed)
         OR observation_unit_id IN (SELECT u.id FROM observation_units u WHERE u.study_id IN (SELECT id FROM doomed));
      DELETE FROM observation_units WHERE study_id IN (SELECT s.id FROM studies s WHERE s.trial_id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3));
      -- As the ORM does: links from other domains to the doomed studies are cleared first.
      UPDATE samples SET study_id = NULL WHERE study_id IN (SELECT s.id FROM studies s WHERE s.trial_id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3));
      UPDATE variant_sets SET study_id = NULL WHERE study_id IN (SELECT s.id FROM studies s WHERE s.trial_id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3));
      UPDATE iot_devices SET study_id = NULL WHERE study_id IN (SELECT s.id FROM studies s WHERE s.trial_id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3));
      DELETE FROM trials WHERE id = (SELECT min(trial_id) FROM studies WHERE organization_id = 3);  -- cascades to its studies
    `);
    await runAndCompare();
    const [v] = await listVersions(lake.catalog, 'phenotype.observations');
    const row = await lake.catalog.db.selectFrom('versions').select(['mode', 'base_version']).where('dataset_id', '=', 'phenotype.observations').where('version', '=', v?.version as number).executeTakeFirstOrThrow();
    expect(row.mode).toBe('incremental');
    // Serial keys: compared a bit per key while PostgreSQL's flags streamed.
    expect(await comparedBy(lake)).toBe('bits');
    // The changed rows were fetched at most 1,000 at a time: an organization with more staged several files.
    const extract = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', v?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
    const staged = (extract.result as { files: Array<{ partition: Array<[string, string]>; rows: number }> }).files;
    const perOrg = new Map<string, { rows: number; files: number }>();
    for (const f of staged) {
      const org = f.partition[0]?.[1] as string;
      const agg = perOrg.get(org) ?? { rows: 0, files: 0 };
      perOrg.set(org, { rows: agg.rows + f.rows, files: agg.files + 1 });
    }
    expect(Math.max(...[...perOrg.values()].map((o) => o.rows))).toBeGreaterThan(1000);
    for (const o of perOrg.values()) expect(o.files).toBeGreaterThanOrEqual(Math.ceil(o.rows / 1000));
  });

  it('catches every domain changing the way the application changes it: cascades, moves, late telemetry (keys compared by DuckDB)', async () => {
    // Keys past the largest one kept as a bit (here every key) are compared by DuckDB's anti-joins.
    await lake.kill('extract');
    lake.startWorker('extract', { ...EXTRACT_ENV, LAKE_DELTA_BITMAP_MAX_KEY: '0' });
    const summary = await mutate(lake.sourceAdminUrl, { seed: 5, share: 0.02 });
    expect(Object.keys(summary.tables).length).toBeGreaterThan(10);
    await admin.query(`
      -- A device decommissioned: its soil readings first (no cascade), then the device, which
      -- takes its sensors and their telemetry with it.
      DELETE FROM soil_moisture_readings WHERE device_id = (SELECT max(id) FROM iot_devices);
      DELETE FROM iot_devices WHERE id = (SELECT max(id) FROM iot_devices);
      -- A device handed to another organization: its sensors and telemetry follow it.
      UPDATE iot_devices SET organization_id = organization_id % 3 + 1 WHERE id = (SELECT min(id) FROM iot_devices);
      -- A station whose location moves to another organization's location.
      UPDATE weather_stations SET location_id = (SELECT min(id) FROM locations WHERE organization_id = 2) WHERE id = (SELECT min(id) FROM weather_stations);
      -- Soil tests corrected by hand, updated_at forgotten (read through the SECURITY DEFINER function).
      UPDATE soil_tests SET ph = 6.5 WHERE id % 17 = 0;
    `);
    try {
      await runAndCompare();
    } finally {
      await lake.kill('extract');
      lake.startWorker('extract', EXTRACT_ENV);
    }
    for (const ds of DATASETS) {
      const [v] = await listVersions(lake.catalog, ds);
      const row = await lake.catalog.db.selectFrom('versions').select(['mode']).where('dataset_id', '=', ds).where('version', '=', v?.version as number).executeTakeFirstOrThrow();
      expect(row.mode, ds).toBe('incremental');
    }
    expect(await comparedBy(lake)).toBe('anti-joins');
  });

  it('catches a transaction that was open during a run and committed after it', async () => {
    await held.query('BEGIN');
    // Stamped as if it happened before the run: a watermark on updated_at would skip it forever.
    const late = await held.query("UPDATE observations SET value = '1', updated_at = now() - interval '2 hours' WHERE id % 503 = 0");
    // A reading stamped an hour before the device's latest, committed after the run: inside the overlap.
    await held.query(`INSERT INTO iot_telemetry ("timestamp", device_id, sensor_id, value, created_at, updated_at)
                      SELECT max(t."timestamp") - interval '1 hour', s.device_id, s.id, 42, now(), now()
                      FROM iot_sensors s JOIN iot_telemetry t ON t.sensor_id = s.id WHERE s.id = (SELECT min(id) FROM iot_sensors) GROUP BY s.device_id, s.id`);
    await runAndCompare(); // the open transaction is invisible to both lakes
    await held.query('COMMIT');
    const before = (await listVersions(lake.catalog, 'phenotype.observations'))[0];
    await runAndCompare();
    const after = (await listVersions(lake.catalog, 'phenotype.observations'))[0];
    // The late reading only added a row to its partition: the version appends one file to it.
    const [t] = await listVersions(lake.catalog, 'sensor.iot_telemetry');
    const staged = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', t?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
    expect((staged.result as { appended?: string[] }).appended).toHaveLength(1);
    // Observations are versioned by row: exactly the rows the late transaction wrote were staged
    // again, as one delta layer on top of the earlier version's files.
    const extract = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', after?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
    const delta = extract.result as { sourceRows: number; delta?: { layer: number; superseded: { rows: number } } };
    expect(late.rowCount).toBeGreaterThan(0);
    expect(delta.sourceRows).toBe(late.rowCount);
    expect(delta.delta?.superseded.rows).toBe(late.rowCount);
    // Loaded or quarantined ('1' is no valid value of some variables), each in its dataset's layer.
    const files = [
      ...(await versionFiles(lake.catalog, 'phenotype.observations', after?.version as number)),
      ...(await versionFiles(lake.catalog, 'phenotype.observations_quarantine', after?.version as number)),
    ];
    expect(files.filter((f) => f.layer === delta.delta?.layer && f.role === 'rows').reduce((n, f) => n + Number(f.row_count), 0)).toBe(late.rowCount);
    expect(after?.version).toBeGreaterThan(before?.version ?? 0);

    // `lake query` and `lake diff` read the layers: the counts are the source's, and the two
    // versions differ only in rows the late transaction wrote (loaded, moved to quarantine, or back).
    const sql = 'SELECT count(*) AS n, count(*) FILTER (WHERE value_raw = \'1\') AS ones FROM phenotype.observations';
    const [mine, theirs] = await Promise.all([lake.cli(['query', sql, '--format', 'json']), reference.cli(['query', sql, '--format', 'json'])]);
    expect(mine.code, mine.stderr).toBe(0);
    expect(JSON.parse(mine.stdout)).toEqual(JSON.parse(theirs.stdout));
    const diff = await lake.cli(['diff', 'phenotype.observations', `v${before?.version}`, `v${after?.version}`, '--format', 'json']);
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout) as { added: number; removed: number; changed: number };
    expect(d.added + d.removed + d.changed).toBeGreaterThan(0);
    expect(d.added + d.removed + d.changed).toBeLessThanOrEqual(late.rowCount ?? 0);
  });

  it('writes a version that only reuses files when nothing changed', async () => {
    await runAndCompare();
    const [latest, previous] = await listVersions(lake.catalog, 'phenotype.observations');
    expect((latest?.snapshot as { changedPartitions?: number } | undefined)?.changedPartitions).toBe(0);
    const a = await versionFiles(lake.catalog, 'phenotype.observations', latest?.version as number);
    const b = await versionFiles(lake.catalog, 'phenotype.observations', previous?.version as number);
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
  });

  it('backfills a month of telemetry or named partitions: exactly those are extracted again, the version stays exact', async () => {
    const telemetry = await lake.cli(['backfill', 'sensor.iot_telemetry', '--from', '2024-12', '--to', '2024-12']);
    expect(telemetry.code, telemetry.stdout + telemetry.stderr).toBe(0);
    const [t] = await listVersions(lake.catalog, 'sensor.iot_telemetry');
    const months = await lake.catalog.db.selectFrom('partitions').select(['partition']).where('dataset_id', '=', 'sensor.iot_telemetry').where('version', '=', t?.version as number).execute();
    const december = months.filter((p) => p.partition.some(([f, v]) => f === 'month' && v === '2024-12')).length;
    expect(december).toBeGreaterThan(0);
    expect((t?.snapshot as { changedPartitions?: number } | undefined)?.changedPartitions).toBe(december);

    // Studies are versioned by partition: exactly the named organization's partitions are extracted again.
    const org = await lake.cli(['backfill', 'phenotype.studies', '--partition', 'organization_id=1']);
    expect(org.code, org.stdout + org.stderr).toBe(0);
    const [o] = await listVersions(lake.catalog, 'phenotype.studies');
    const parts = await lake.catalog.db.selectFrom('partitions').select(['partition']).where('dataset_id', '=', 'phenotype.studies').where('version', '=', o?.version as number).execute();
    const ofOrg1 = parts.filter((p) => p.partition[0]?.[1] === '1').length;
    expect((o?.snapshot as { changedPartitions?: number } | undefined)?.changedPartitions).toBe(ofOrg1);
    expect(ofOrg1).toBeLessThan(parts.length);
    // Observations are versioned by row: a backfill of an organization stages its rows again, as a
    // delta (the smallest organization: its rows, staged and superseded, within a 90% share).
    const { rows: [smallest] } = await admin.query<{ organization_id: number; n: string; share: number }>(
      'SELECT organization_id, count(*) AS n, 2.0 * count(*) / sum(count(*)) OVER () AS share FROM observations GROUP BY 1 ORDER BY 2, 1 LIMIT 1',
    );
    expect(Number(smallest?.share)).toBeLessThan(0.9);
    await lake.kill('extract');
    lake.startWorker('extract', { LAKE_DELTA_MAX_SHARE: '0.9', LAKE_DELTA_SLICE_KEYS: '1000' });
    const byOrg = await lake.cli(['backfill', 'phenotype.observations', '--partition', `organization_id=${smallest?.organization_id}`]);
    expect(byOrg.code, byOrg.stdout + byOrg.stderr).toBe(0);
    const [ob] = await listVersions(lake.catalog, 'phenotype.observations');
    const staged = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', ob?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
    expect((staged.result as { sourceRows: number }).sourceRows).toBe(Number(smallest?.n));
    expect((staged.result as { delta?: unknown }).delta).toBeDefined();
    for (const ds of ['sensor.iot_telemetry', 'phenotype.studies', 'phenotype.observations']) {
      expect(await differences(await currentFiles(lake, ds), await currentFiles(reference, ds)), ds).toBe(0);
    }

    const bad = await lake.cli(['backfill', 'phenotype.observations', '--from', '2024']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('no time partition');
  });

  it('makes a full version, folding the layers, past the layer limit or the changed share', async () => {
    const layersOf = async (dataset: string) => {
      const [v] = await listVersions(lake.catalog, dataset);
      return { version: v, files: await versionFiles(lake.catalog, dataset, v?.version as number) };
    };
    const before = await layersOf('phenotype.observations');
    const layers = Math.max(...before.files.map((f) => f.layer));
    expect(layers).toBeGreaterThan(1);
    // With the limit at the layers the version has, the next change makes a full version.
    await lake.kill('extract');
    lake.startWorker('extract', { LAKE_DELTA_MAX_SHARE: '0.5', LAKE_DELTA_SLICE_KEYS: '1000', LAKE_DELTA_MAX_LAYERS: String(layers) });
    await admin.query("UPDATE observations SET collector = 'recounted' WHERE id % 331 = 0");
    await runAndCompare();
    const folded = await layersOf('phenotype.observations');
    expect(folded.files.every((f) => f.layer === 0 && f.path.includes(`/v${folded.version?.version}/`))).toBe(true);
    expect(folded.files.filter((f) => f.role === 'keys')).toHaveLength(1);
    // The next small change is a delta again; a change of more than half the rows is a full run.
    await admin.query("UPDATE observations SET collector = 'recounted twice' WHERE id % 331 = 0");
    await runAndCompare();
    expect(Math.max(...(await layersOf('phenotype.observations')).files.map((f) => f.layer))).toBe(1);
    await admin.query("UPDATE observations SET collector = 'all recounted' WHERE id % 3 <> 0");
    await runAndCompare();
    const full = await layersOf('phenotype.observations');
    expect(full.files.every((f) => f.layer === 0 && f.path.includes(`/v${full.version?.version}/`))).toBe(true);
    const staged = await lake.catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', full.version?.run_id as string).where('stage', '=', 'extract').executeTakeFirstOrThrow();
    expect((staged.result as { mode: string; delta?: unknown }).mode).toBe('full');
  });
});
