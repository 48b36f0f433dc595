import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getRun, listRuns, listVersions, stageResult } from '@lake/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeHarness, REFERENCE_DIR } from './lake-harness.js';

const DATASETS = join(REFERENCE_DIR, 'datasets');
const EXAMPLES = join(REFERENCE_DIR, 'brapi', 'brapi-spec-examples');

async function query<T = Record<string, unknown>>(lake: LakeHarness, sql: string): Promise<T[]> {
  const res = await lake.cli(['query', sql, '--format', 'json']);
  if (res.code !== 0) throw new Error(`query failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T[];
}

describe('lake ingest, quarantine and replay, end to end (PostgreSQL, Redis, S3, DuckDB)', () => {
  let lake: LakeHarness;
  let schemas: string;
  beforeAll(async () => {
    lake = await LakeHarness.create({ rows: 200, orgs: 1 });
    // A private copy of the contracts: the replay test fixes one.
    schemas = join(lake.tmp, 'schemas');
    await cp(lake.env.LAKE_SCHEMAS_DIR as string, schemas, { recursive: true });
    lake.env.LAKE_SCHEMAS_DIR = schemas;
    lake.startAll();
  });
  afterAll(async () => {
    await lake?.destroy();
  });

  it('ingests the three Field Book exports into identical typed rows; -0500 becomes UTC', async () => {
    for (const [i, file] of ['fieldbook_phenotype_file.csv', 'fieldbook_phenotype_file_no_fieldbook_image.csv', 'fieldbook_phenotype_file_rev04bfbeb.csv'].entries()) {
      const res = await lake.cli(['ingest', join(DATASETS, 'phenotype', file), '--dataset', 'phenotype/fieldbook_observations']);
      expect(res.code, `${res.stdout}\n${res.stderr}\n${(lake.logs.get('extract') ?? []).join('').slice(-2000)}`).toBe(0);
      expect(res.stdout).toContain(`committed v${i + 1}`);
    }
    const perFile = await query<{ file: string; n: number }>(
      lake,
      "SELECT regexp_extract(source_file, '[^/]+$') AS file, count(*)::INT AS n FROM (SELECT DISTINCT source_file FROM phenotype.fieldbook_observations_quarantine) GROUP BY 1",
    );
    expect(perFile).toEqual([]);
    const [counts] = await query<{ n: number }>(lake, 'SELECT count(*)::INT AS n FROM phenotype.fieldbook_observations');
    expect(counts?.n).toBe(30 + 30 + 32);
    // The same observation, typed the same from each export (the CURIE prefix differs by Field Book version).
    const differing = await query(
      lake,
      `WITH t AS (SELECT plot_name, trait_name, value, observed_at, person, rep, accession, number, range_number, location FROM phenotype.fieldbook_observations)
       SELECT plot_name, trait_name, observed_at, count(*) AS copies, count(DISTINCT t) AS variants FROM t GROUP BY 1, 2, 3 HAVING count(DISTINCT t) > 1`,
    );
    expect(differing).toEqual([]);
    const [first] = await query<{ at: string }>(
      lake,
      "SELECT strftime(observed_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS at FROM phenotype.fieldbook_observations WHERE plot_name = 'test_trial21' AND trait_name = 'dry matter content' LIMIT 1",
    );
    expect(first?.at).toBe('2016-01-07 17:08:24');
    const shared = await query<{ n: number }>(
      lake,
      'SELECT count(*)::INT AS n FROM (SELECT plot_name, trait_name, observed_at FROM phenotype.fieldbook_observations GROUP BY 1, 2, 3 HAVING count(*) = 3)',
    );
    expect(shared[0]?.n).toBeGreaterThanOrEqual(29);
  });

  it('quarantines bad rows with file, line, column, rule and raw value; replay after a contract fix loads them', async () => {
    const dir = join(lake.tmp, 'weather');
    await mkdir(dir, { recursive: true });
    const csv = ['Date;Tmean[K];RH[%];u2[km/h]', '2024-03-01;280,15;81;18', '2024-03-02;n/a;79;9', '2024-03-03;281,65;120;3,6', '2024-03-04;282,15;77;7,2', ''].join('\r\n');
    await writeFile(join(dir, 'Station 7 (March).csv'), csv, 'latin1');
    const res = await lake.cli(['ingest', dir, '--dataset', 'climate.daily_weather_files']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('2 rows loaded, 2 quarantined of 4');
    const loaded = await query<{ date: string; tmean: number; wind_speed: number }>(lake, 'SELECT CAST(date AS VARCHAR) AS date, tmean, wind_speed FROM climate.daily_weather_files ORDER BY date');
    expect(loaded).toEqual([
      { date: '2024-03-01', tmean: 7, wind_speed: 5 },
      { date: '2024-03-04', tmean: 9, wind_speed: 2 },
    ]);
    const report = await lake.cli(['quarantine', 'climate.daily_weather_files', '--format', 'json']);
    expect(report.code, report.stderr).toBe(0);
    const rows = JSON.parse(report.stdout) as Array<{ file: string; line: number; column: string; rule: string; raw_value: string; message: string }>;
    expect(rows.map((r) => ({ ...r, file: r.file.replace(/^.*\//, ''), message: undefined }))).toEqual([
      { file: 'station_7_march_.csv', line: 3, column: 'tmean', rule: 'invalid-number', raw_value: 'n/a', message: undefined },
      { file: 'station_7_march_.csv', line: 4, column: 'rh', rule: 'range', raw_value: '120', message: undefined },
    ]);
    expect(rows[0]?.message).toContain('line 3, column 2 (Tmean[K])');
    const table = await lake.cli(['quarantine', 'climate.daily_weather_files']);
    expect(table.stdout).toContain('2 quarantined row(s) of 4');
    expect(table.stdout).toMatch(/tmean\s+invalid-number/);

    // The conversions applied are in the version's lineage.
    const versions = await listVersions(lake.catalog, 'climate.daily_weather_files');
    const runId = versions[0]?.run_id as string;
    const events = await lake.catalog.db.selectFrom('lineage_events').select('event').where('run_id', '=', runId).execute();
    expect(JSON.stringify(events)).toContain('unit K → Cel');

    // Fix: `n/a` is a missing-value token of this source.
    const path = join(schemas, 'climate', 'daily_weather_files.yaml');
    const yaml = await readFile(path, 'utf8');
    await writeFile(path, yaml.replace('schema_version: 1.0.0', 'schema_version: 1.0.1').replace("missing: ['', NA, '-99', '-999']", "missing: ['', NA, n/a, '-99', '-999']"));
    const replay = await lake.cli(['replay', 'climate.daily_weather_files']);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    // The version holds the 2 rows loaded before and the 1 replayed row; 1 of the 2 replayed stays quarantined.
    expect(replay.stdout).toContain('committed v2 — 3 rows loaded, 1 quarantined in the version (2 rows read this run)');
    const after = await query<{ n: number; nulls: number }>(lake, 'SELECT count(*)::INT AS n, count(*) FILTER (WHERE tmean IS NULL)::INT AS nulls FROM climate.daily_weather_files');
    expect(after).toEqual([{ n: 3, nulls: 1 }]);
    const left = JSON.parse((await lake.cli(['quarantine', 'climate.daily_weather_files', '--format', 'json'])).stdout) as Array<{ line: number; rule: string }>;
    expect(left.map((r) => [r.line, r.rule])).toEqual([[4, 'range']]);
  });

  it('reports each invalid trait-ontology row with its file, line, column and rule', async () => {
    const dir = join(lake.tmp, 'traits');
    await mkdir(dir, { recursive: true });
    const files = ['data_min_max_swap.csv', 'data_multiple_rows.csv', 'data_one_row_invalid_scale_class.csv', 'data_one_row_scale_decimal_invalid.csv', 'multiple_rows_parsing_errors.csv'];
    for (const f of files) await cp(join(DATASETS, 'trait-ontology', f), join(dir, f));
    const res = await lake.cli(['ingest', dir, '--dataset', 'phenotype.trait_ontology_files']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('4 rows loaded, 5 quarantined of 9');
    const rows = JSON.parse((await lake.cli(['quarantine', 'phenotype.trait_ontology_files', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [String(r.file).replace(/^.*\//, ''), r.line, r.column, r.rule, r.raw_value])).toEqual([
      ['data_one_row_invalid_scale_class.csv', 2, 'scale_class', 'category', 'blah'],
      ['data_one_row_scale_decimal_invalid.csv', 2, 'scale_decimal_places', 'invalid-integer', '2t'],
      ['multiple_rows_parsing_errors.csv', 2, 'status', 'category', 'TRUE'],
      ['multiple_rows_parsing_errors.csv', 3, 'status', 'category', 'FALSE'],
      ['multiple_rows_parsing_errors.csv', 4, 'scale_decimal_places', 'invalid-integer', 'Four'],
    ]);
    // Every broken rule of a row is kept, not only the first.
    const [all] = await query<{ v: string }>(lake, "SELECT CAST(violations AS VARCHAR) AS v FROM phenotype.trait_ontology_files_quarantine WHERE row_number = 4 AND source_file LIKE '%parsing_errors%'");
    expect(all?.v).toMatch(/scale_lower_limit.*invalid-number.*scale_upper_limit.*invalid-number.*status.*category.*scale_class.*category/s);
  });

  it('ingests BrAPI observations with -0600 offsets as UTC and genotype calls from a VCF', async () => {
    const brapi = await lake.cli(['ingest', join(EXAMPLES, 'BrAPI-Phenotyping__POST_observations__Request.json'), '--dataset', 'phenotype.brapi_observations_files']);
    expect(brapi.code, brapi.stdout + brapi.stderr).toBe(0);
    const [obs] = await query<{ at: string }>(lake, "SELECT strftime(observation_time_stamp AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') AS at FROM phenotype.brapi_observations_files LIMIT 1");
    expect(obs?.at).toBe('2018-01-01T20:47:23');

    const vcf = await lake.cli(['ingest', join(DATASETS, 'genotype', 'testset_GT-AD-DP-GQ-DS-PL.vcf'), '--dataset', 'genotype/calls_files']);
    expect(vcf.code, vcf.stdout + vcf.stderr).toBe(0);
    const [calls] = await query<{ n: number; samples: number }>(lake, 'SELECT count(*)::INT AS n, count(DISTINCT sample)::INT AS samples FROM genotype.calls_files');
    expect(calls).toEqual({ n: 378, samples: 21 });

    // 14 variants × 9,990 samples (sample ids with `:`), straight to Parquet.
    const wide = await lake.cli(['ingest', join(DATASETS, 'genotype', 'cassava_test.vcf'), '--dataset', 'genotype/calls_files']);
    expect(wide.code, wide.stdout + wide.stderr).toBe(0);
    const [cassava] = await query<{ variants: number; n: number }>(
      lake,
      'SELECT count(*)::INT AS variants, sum(n)::INT AS n FROM (SELECT variant_id, count(*) AS n FROM genotype.calls_files GROUP BY 1 HAVING count(DISTINCT sample) = 9990)',
    );
    expect(cassava).toEqual({ variants: 14, n: 139_860 });
  });

  it('checks foreign keys against the referenced dataset\'s current version', async () => {
    await writeFile(
      join(schemas, 'phenotype', 'plot_germplasm_files.yaml'),
      `dataset: { name: plot_germplasm_files, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot] }
fields:
  - { name: plot, type: string, nullable: false }
  - { name: germplasm_name, type: string, nullable: false, synonyms: [germplasm, accession], references: { dataset: phenotype.brapi_germplasm_files, column: germplasm_name } }
`,
    );
    const germplasm = await lake.cli(['ingest', join(EXAMPLES, 'BrAPI-Germplasm__POST_germplasm__Request.json'), '--dataset', 'phenotype.brapi_germplasm_files']);
    expect(germplasm.code, germplasm.stdout + germplasm.stderr).toBe(0);
    const dir = join(lake.tmp, 'plots');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'plots.csv'), 'plot,Accession\np1,A0000003\np2,Unknown Line\np3,\n');
    const res = await lake.cli(['ingest', join(dir, 'plots.csv'), '--dataset', 'phenotype.plot_germplasm_files']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('1 rows loaded, 2 quarantined of 3');
    const rows = JSON.parse((await lake.cli(['quarantine', 'phenotype.plot_germplasm_files', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.line, r.column, r.rule, r.raw_value])).toEqual([
      [3, 'germplasm_name', 'foreign_key', 'Unknown Line'],
      [4, 'germplasm_name', 'required', null],
    ]);
  });

  it('takes a bound BrAPI variable\'s scale as the field\'s rules: type, valid range, decimal places', async () => {
    const vars = await lake.cli(['ingest', join(EXAMPLES, 'BrAPI-Phenotyping__POST_variables__Request.json'), '--dataset', 'phenotype.brapi_variables_files']);
    expect(vars.code, vars.stdout + vars.stderr).toBe(0);
    await writeFile(
      join(schemas, 'phenotype', 'plant_height_files.yaml'),
      `dataset: { name: plant_height_files, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot], variables: phenotype.brapi_variables_files }
fields:
  - { name: plot, type: string, nullable: false }
  - { name: height, type: string, observation_variable: Variable Name, synonyms: [Variable Name] }
`,
    );
    const dir = join(lake.tmp, 'heights');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'heights.csv'), 'plot,Variable Name\np1,12.25\np2,1.5\np3,3.141\np4,tall\n');
    const res = await lake.cli(['ingest', join(dir, 'heights.csv'), '--dataset', 'phenotype.plant_height_files']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('1 rows loaded, 3 quarantined of 4');
    const rows = JSON.parse((await lake.cli(['quarantine', 'phenotype.plant_height_files', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    // The example variable is Numerical, 2 decimal places, valid from 2 to 9999.
    expect(rows.map((r) => [r.line, r.column, r.rule, r.raw_value])).toEqual([
      [3, 'height', 'scale_range', '1.5'],
      [4, 'height', 'scale_decimals', '3.141'],
      [5, 'height', 'scale_type', 'tall'],
    ]);
  });

  it('mutated files end loaded + quarantined = read, or failed with a located reason', async () => {
    const seed = await readFile(join(DATASETS, 'climate', 'pyet_10_example_meteo.csv'));
    const text = seed.toString('utf8');
    const mutants: Array<[string, Buffer]> = [
      ['truncated.csv', seed.subarray(0, Math.floor(seed.length * 0.37))],
      ['binary.csv', Buffer.concat([seed.subarray(0, 100), Buffer.from([0, 0, 0, 0xff, 0xfe]), seed.subarray(100)])],
      ['semicolons.csv', Buffer.from(text.replaceAll(',', ';'))],
      ['latin1.csv', Buffer.from(text, 'latin1')],
      ['flipped.csv', Buffer.from(text.replace('2018-01-05,', '2018-01-05,,').replace('84,2.24', '8x4,2.24'))],
    ];
    const dir = join(lake.tmp, 'mutants');
    await mkdir(dir, { recursive: true });
    for (const [name, bytes] of mutants) {
      await writeFile(join(dir, name), bytes);
      const res = await lake.cli(['ingest', join(dir, name), '--dataset', 'climate.daily_weather_files'], 120_000).catch((err: Error) => {
        const tail = (app: 'scheduler' | 'extract' | 'transform') => (lake.logs.get(app) ?? []).join('').slice(-3000);
        throw new Error(`${err.message}\nscheduler:\n${tail('scheduler')}\nextract:\n${tail('extract')}\ntransform:\n${tail('transform')}`);
      });
      const runId = /run (run-[a-z0-9-]+)/.exec(res.stdout)?.[1] as string;
      const run = await getRun(lake.catalog, runId);
      if (run?.status === 'failed') {
        expect(res.stdout, name).toMatch(new RegExp(`FAILED in \\w+: ${lake.buckets.raw}/climate/daily_weather_files/[^ ]+/${name.replace('.', '\\.')}: line \\d+`));
        continue;
      }
      expect(run?.status, `${name}: ${res.stdout}`).toBe('committed');
      const t = await stageResult<{ inputRows: number; loadedRows: number; quarantine: { rows: number } }>(lake.catalog, runId, 'transform');
      const e = await stageResult<{ sourceRows: number }>(lake.catalog, runId, 'extract');
      expect(t?.inputRows, name).toBe(e?.sourceRows);
      expect((t?.loadedRows ?? 0) + (t?.quarantine.rows ?? 0), name).toBe(t?.inputRows);
    }
    for (const [app, child] of lake.workers) expect(child.exitCode, app).toBeNull();
  });

  it('fails an unreadable file with a located, permanent error; workers keep running', async () => {
    const dir = join(lake.tmp, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'empty.csv'), '');
    const res = await lake.cli(['ingest', join(dir, 'empty.csv'), '--dataset', 'climate/daily_weather_files']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(new RegExp(`FAILED in extract: ${lake.buckets.raw}/climate/daily_weather_files/[^ ]+/empty\\.csv: line 1: empty-file`));
    const runs = await listRuns(lake.catalog, { dataset: 'climate.daily_weather_files', limit: 1 });
    expect((await getRun(lake.catalog, runs[0]?.id as string))?.status).toBe('failed');
    for (const [app, child] of lake.workers) expect(child.exitCode, app).toBeNull();
  });
  it('ingests JSON sensor logs; a file above the contract\'s error rate is rejected whole, the others load', async () => {
    // This lake's copy of the contract rejects a file when more than half of its rows break it.
    const path = join(schemas, 'sensor', 'sensor_log_files.yaml');
    await writeFile(path, `${await readFile(path, 'utf8')}quality: { max_error_rate: 0.5 }\n`);
    const dir = join(lake.tmp, 'sensor-logs');
    await mkdir(dir, { recursive: true });
    const reading = (i: number, vwc: unknown) => ({ deviceId: 'probe-7', channel: 'a', ts: `2024-06-01T0${i}:00:00-05:00`, vwc, 'soil_temp [degF]': 59, meta: { fw: '2.1' } });
    // 1 of 3 rows breaks the contract (33%): loaded, that row quarantined.
    await writeFile(join(dir, 'gateway.json'), JSON.stringify({ metadata: {}, result: { data: [reading(1, 21.5), reading(2, 'wet'), reading(3, 22)] } }));
    // 2 of 3 lines break it (67%): the whole file goes to quarantine, its good line too.
    await writeFile(join(dir, 'logger.ndjson'), [{ ...reading(4, 20), deviceId: 'probe-8' }, { ...reading(5, 140), deviceId: 'probe-8' }, '{"deviceId": "probe-8", "channel": "a", "ts":'].map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n'));
    const res = await lake.cli(['ingest', dir, '--dataset', 'sensor/sensor_log_files']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('2 rows loaded, 4 quarantined of 6');
    expect(res.stdout).toMatch(/rejected \S+-raw\/sensor\/sensor_log_files\/\S+\/logger\.ndjson: 2 of 3 rows \(66\.7%\) break the contract; all 3 are in quarantine/);
    const loaded = await query<Record<string, unknown>>(
      lake,
      "SELECT device, sensor, strftime(observed_at AT TIME ZONE 'UTC', '%H:%M') AS at, soil_moisture, round(soil_temperature, 6) AS soil_temperature, CAST(metadata AS VARCHAR) AS metadata FROM sensor.sensor_log_files ORDER BY observed_at",
    );
    expect(loaded).toEqual([
      { device: 'probe-7', sensor: 'a', at: '06:00', soil_moisture: 21.5, soil_temperature: 15, metadata: '{"fw":"2.1"}' },
      { device: 'probe-7', sensor: 'a', at: '08:00', soil_moisture: 22, soil_temperature: 15, metadata: '{"fw":"2.1"}' },
    ]);
    const rows = JSON.parse((await lake.cli(['quarantine', 'sensor.sensor_log_files', '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [String(r.file).replace(/^.*\//, ''), r.line, r.column, r.rule])).toEqual([
      ['gateway.json', 1, 'soil_moisture', 'invalid-number'],
      ['logger.ndjson', 1, '(file)', 'file_error_rate'],
      ['logger.ndjson', 2, 'soil_moisture', 'range'],
      ['logger.ndjson', 3, '(record)', 'json-syntax'],
    ]);
    const [both] = await query<{ v: string }>(lake, "SELECT CAST(violations AS VARCHAR) AS v FROM sensor.sensor_log_files_quarantine WHERE row_number = 2 AND source_file LIKE '%logger.ndjson'");
    expect(both?.v).toMatch(/range.*file_error_rate/s);
  });
});
