import { text } from 'node:stream/consumers';
import { getContract, listVersions } from '@lake/catalog';
import { contractToYaml } from '@lake/contracts';
import { NUMERIC_VALUE_PATTERN, sourceTruth } from '@lake/fixture';
import { createObjectStore, createStorageLayout } from '@lake/storage';
import { LakeQueues } from '@lake/queue';
import { redisConnectionOptions, testS3Env } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeHarness } from './lake-harness.js';

/** `lake query --format json` → rows. */
async function query<T = Record<string, unknown>>(lake: LakeHarness, sql: string): Promise<T[]> {
  const res = await lake.cli(['query', sql, '--format', 'json']);
  if (res.code !== 0) throw new Error(`query failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T[];
}

describe('lake run phenotype, end to end (PostgreSQL, Redis, S3, DuckDB)', () => {
  let lake: LakeHarness;
  beforeAll(async () => {
    lake = await LakeHarness.create({ rows: 30_000, orgs: 3 });
    lake.startAll();
  });
  afterAll(async () => {
    await lake?.destroy();
  });

  it('commits every phenotype dataset and DuckDB agrees with PostgreSQL on counts and checksums', async () => {
    const run = await lake.cli(['run', 'phenotype']);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('all 5 run(s) committed');

    const truth = await sourceTruth(lake.sourceAdminUrl);
    const [loaded] = await query<{ n: string; ids: string; num: number }>(
      lake,
      'SELECT count(*) AS n, sum(observation_id) AS ids, sum(value_numeric) AS num FROM phenotype.observations',
    );
    const [quarantined] = await query<{ n: string; ids: string; num: number | null }>(
      lake,
      `SELECT count(*) AS n, sum(CAST(staged_row->>'id' AS BIGINT)) AS ids,
              sum(TRY_CAST(staged_row->>'value' AS DOUBLE)) FILTER (
                WHERE staged_row->>'variable_data_type' = 'Numerical' AND regexp_matches(staged_row->>'value', '${NUMERIC_VALUE_PATTERN}')) AS num
       FROM phenotype.observations_quarantine`,
    );
    if (!loaded || !quarantined) throw new Error('no aggregate rows');
    // Every source row is loaded or quarantined, and the ids add up exactly.
    expect(Number(loaded.n) + Number(quarantined.n)).toBe(truth.rowCounts.observations);
    expect(BigInt(loaded.ids) + BigInt(quarantined.ids ?? 0)).toBe(BigInt(truth.observationIdSum));
    // Numeric values: what the lake typed plus what it quarantined equals PostgreSQL's sum.
    const lakeSum = loaded.num + (quarantined.num ?? 0);
    expect(Math.abs(lakeSum - Number(truth.numericValueSum))).toBeLessThan(1e-6 * Math.abs(Number(truth.numericValueSum)) + 1e-6);

    const perVariable = await query<{ v: string; n: string }>(
      lake,
      `SELECT coalesce(CAST(v AS VARCHAR), 'null') AS v, sum(n) AS n FROM (
         SELECT observation_variable_id AS v, count(*) AS n FROM phenotype.observations GROUP BY 1
         UNION ALL
         SELECT CAST(staged_row->>'observation_variable_id' AS INTEGER), count(*) FROM phenotype.observations_quarantine GROUP BY 1
       ) GROUP BY 1 ORDER BY 1`,
    );
    expect(Object.fromEntries(perVariable.map((r) => [r.v, Number(r.n)]))).toEqual(truth.observationsByVariable);

    for (const table of ['germplasm', 'studies', 'observation_units', 'observation_variables'] as const) {
      const [row] = await query<{ n: string }>(lake, `SELECT count(*) AS n FROM phenotype.${table}`);
      expect(Number(row?.n), table).toBe(truth.rowCounts[table]);
    }
  });

  it('catalogues the version: schema, data dictionary and lineage in the metadata bucket, and one dataset.committed event', async () => {
    const [v] = await listVersions(lake.catalog, 'phenotype.observations');
    if (!v) throw new Error('no committed version');
    const store = createObjectStore({ kind: 's3', ...testS3Env(), buckets: lake.buckets });
    const layout = createStorageLayout(store.buckets);
    const read = async (kind: 'schemas' | 'dictionaries' | 'lineage', file: string) => text(await store.get(layout.metadataKey(kind, 'phenotype', 'observations', file)));

    const contract = await getContract(lake.catalog, 'phenotype.observations', v.contract_hash);
    expect(await read('schemas', `v${v.version}.yaml`)).toBe(contractToYaml(contract));

    // The dictionary's counts come from the catalog's sums over the files' statistics: they must
    // be what DuckDB counts over the version.
    const dictionary = JSON.parse(await read('dictionaries', `v${v.version}.json`)) as { rows: number; files: number; fields: Array<{ name: string; null_count: number }> };
    expect(dictionary.rows).toBe(Number(v.row_count));
    expect(dictionary.files).toBe(v.file_count);
    expect(dictionary.fields.map((f) => f.name)).toEqual(contract.fields.map((f) => f.name));
    const [nulls] = await query<Record<string, string>>(lake, `SELECT ${contract.fields.map((f) => `count(*) - count("${f.name}") AS "${f.name}"`).join(', ')} FROM phenotype.observations`);
    expect(Object.fromEntries(dictionary.fields.map((f) => [f.name, f.null_count]))).toEqual(Object.fromEntries(contract.fields.map((f) => [f.name, Number(nulls?.[f.name])])));
    expect(dictionary.fields.some((f) => f.null_count > 0)).toBe(true);

    const events = JSON.parse(await read('lineage', `v${v.version}-${v.run_id}.json`)) as Array<{
      eventType: string;
      job: { name: string };
      outputs: Array<{ outputFacets?: { outputStatistics?: { rowCount: number; fileCount: number } }; inputFacets?: { dataQualityMetrics?: { columnMetrics: Record<string, { nullCount: number }> } } }>;
    }>;
    const complete = events.find((e) => e.eventType === 'COMPLETE' && e.job.name === 'phenotype.observations');
    expect(complete?.outputs[0]?.outputFacets?.outputStatistics).toMatchObject({ rowCount: Number(v.row_count), fileCount: v.file_count });
    const metrics = complete?.outputs[0]?.inputFacets?.dataQualityMetrics?.columnMetrics ?? {};
    for (const f of dictionary.fields) expect(metrics[f.name]?.nullCount, f.name).toBe(f.null_count);

    const queues = new LakeQueues({ ...redisConnectionOptions(), prefix: lake.env.LAKE_QUEUE_PREFIX });
    try {
      const committed = await queues.queue('events').getJob(`committed-phenotype_observations-v${v.version}`);
      expect(committed?.data).toMatchObject({ dataset: 'phenotype.observations', version: v.version, runId: v.run_id, rows: Number(v.row_count) });
    } finally {
      await queues.close();
    }
  });

  it('quarantines malformed values with their location, rule and raw value', async () => {
    const rows = await query<{ column_name: string; rule: string; raw_value: string; message: string; row_key: string; source_file: string }>(
      lake,
      'SELECT column_name, rule, raw_value, message, CAST(row_key AS VARCHAR) AS row_key, source_file FROM phenotype.observations_quarantine',
    );
    expect(rows.length).toBeGreaterThan(0);
    const rules = new Set(rows.map((r) => `${r.column_name}:${r.rule}`));
    for (const expected of ['value_numeric:cast', 'value_numeric:scale_range', 'value_category:scale_category', 'value_date:cast', 'observation_timestamp:type']) {
      expect(rules, expected).toContain(expected);
    }
    for (const r of rows) {
      expect(r.message.length).toBeGreaterThan(0);
      expect(JSON.parse(r.row_key)).toHaveProperty('id');
      expect(r.source_file).toMatch(new RegExp(`^${lake.buckets.raw}/phenotype/_staging/run-[a-z0-9-]+/observations/organization_id=\\d+/part-a\\d+\\.parquet$`));
    }
    const cast = rows.find((r) => r.rule === 'cast' && r.column_name === 'value_numeric');
    expect(cast?.message).toContain(`"${cast?.raw_value}" is not a valid float64`);
  });

  it('keeps organizations apart: each partition file holds only its organization', async () => {
    const versions = await listVersions(lake.catalog, 'phenotype.observations');
    expect(versions).toHaveLength(1);
    const files = await lake.catalog.db.selectFrom('files').select(['path', 'partition']).where('dataset_id', '=', 'phenotype.observations').where('role', '=', 'rows').execute();
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const [org] = (f.partition as unknown as Array<[string, string | null]>).map(([, v]) => v);
      expect(f.path).toMatch(new RegExp(`/organization_id=${org}/part-\\d{5}\\.parquet$`));
    }
    // Each file holds exactly its partition's organization.
    const mixed = await query<{ n: string }>(lake, `SELECT count(*) AS n FROM (SELECT organization_id FROM phenotype.observations GROUP BY ALL)`);
    expect(Number(mixed[0]?.n)).toBe(new Set(files.map((f) => JSON.stringify(f.partition))).size);
    const perOrg = await query<{ organization_id: number; n: string }>(
      lake,
      'SELECT organization_id, count(*) AS n FROM phenotype.observations GROUP BY 1 ORDER BY 1',
    );
    expect(perOrg.map((r) => r.organization_id)).toEqual([1, 2, 3]);
  });

  it('runs queries in a read-only sandbox', async () => {
    for (const [sql, why] of [
      ["SELECT * FROM read_csv('/etc/passwd')", /file system operations are disabled/],
      ["COPY (SELECT 1) TO '/tmp/lake-escape.csv'", /exactly one statement|only SELECT|disabled/],
      ['SELECT 1; SELECT 2', /exactly one statement/],
      ['CREATE TABLE t AS SELECT 1', /only SELECT/],
      ["ATTACH '/tmp/x.db'", /only SELECT|disabled/],
    ] as const) {
      const res = await lake.cli(['query', sql]);
      expect(res.code, sql).toBe(1);
      expect(res.stderr, sql).toMatch(why);
    }
  });

  it('answers the same trigger fired twice at once with one run and one version', async () => {
    const [a, b] = await Promise.all([
      lake.cli(['run', 'phenotype.germplasm', '--key', 'same-trigger']),
      lake.cli(['run', 'phenotype.germplasm', '--key', 'same-trigger']),
    ]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const runA = /run (run-[a-z0-9-]+)/.exec(a.stdout)?.[1];
    const runB = /run (run-[a-z0-9-]+)/.exec(b.stdout)?.[1];
    expect(runA).toBeDefined();
    expect(runA).toBe(runB);
    const versions = await listVersions(lake.catalog, 'phenotype.germplasm');
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
  });
});
