import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ColumnSpec, loadContract } from '@lake/contracts';
import { NativeParquetWriter, NativeSession, readKeyValueMetadata, fileSource } from '@lake/parquet';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvUnreadable, type CsvStageOptions, csvStageable, LOOKUP_MAX_BYTES, stageThroughCsv } from '../src/csv-stage.js';
import { BinaryCopyDecoder, copyOutBinary, describeQuery } from '../src/pg-copy/index.js';
import { type LookupJoin, sourceQuery, sourceQueryWithLookups, stagingType } from '../src/source-query.js';
import { connectTestClient, uniqueName } from './pg-copy-db.js';

const SCHEMAS = fileURLToPath(new URL('../../../schemas', import.meta.url));

const COLUMNS = `id int4 PRIMARY KEY, i2 int2, i8 int8, f4 float4, f8 float8, b bool, txt text, vc varchar(40), bp char(5),
  nm name, d date, ts timestamp, tstz timestamptz, j json, jb jsonb, u uuid`;

/** Values CSV could blur: NULL against '', quotes, commas and newlines in text, float extremes, µs. */
const ROWS = [
  `(1, -32768, -9223372036854775808, '-3.4028235e38', '-1.7976931348623157e308', false, '', '', '', '', '1969-12-31',
    '1969-12-31 23:59:59.999999', '1900-01-01 00:00:00.000001+00', '{ "a" :  "x" }', '{}', '00000000-0000-0000-0000-000000000000')`,
  `(2, 32767, 9223372036854775807, 'Infinity', 'NaN', true, 'héllo 😀 "quoted", comma', 'emoji 👩‍👩‍👧 ok', 'ab', 'név',
    '2000-01-01', '2000-01-01 00:00:00.000001', '1999-12-31 23:59:59.999999+00', '{"ü": "😀", "n": [1, 2.50], "q": "a\\"b"}',
    '{"ü": "😀", "n": [1, 2.50]}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')`,
  `(3, 0, 9007199254740993, '1.1', '0.1', NULL, '\uFEFFbom', NULL, 'abcde', 'x', '0001-01-01', '1000-06-15 12:34:56.789012',
    '2038-01-19 03:14:08.5+05:30', '[]', '[1, "two", null, {"k": false}]', 'ffffffff-ffff-ffff-ffff-ffffffffffff')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  `(5, -1, -1, '-0', '-0', true, E'line1\\nline2\\ttab \\\\ backslash\\r\\n"', '"', NULL, NULL, '5874897-12-31', '1970-01-01 00:00:00',
    '1970-01-01 00:00:00+00', 'null', '"s"', NULL)`,
  `(6, 1, 1, '3.4028235e38', '1.7976931348623157e308', false, 'NULL', ',', 'c', 'd', '1970-01-01', '2262-04-11 23:47:16.854775',
    '294000-01-01 00:00:00+00', '1', '1', '123e4567-e89b-12d3-a456-426614174000')`,
  `(7, 2, 2, '1e-45', '5e-324', true, E'\\n', E'"\\n"', 'z', 'z', '1600-02-29', '0001-01-01 00:00:00', '2000-01-01 00:00:00+00',
    '{"big": 123456789012345678901234567890}', '{"big": 123456789012345678901234567890}', '01234567-89ab-cdef-0123-456789abcdef')`,
];

let client: pg.Client;
let table: string;
let dir: string;
let session: NativeSession;

beforeAll(async () => {
  client = await connectTestClient();
  table = uniqueName('csv_stage');
  await client.query(`CREATE TABLE ${table} (${COLUMNS})`);
  await client.query(`INSERT INTO ${table} VALUES ${ROWS.join(',\n')}`);
  // Many more ordinary rows, so parts split mid-stream.
  await client.query(
    `INSERT INTO ${table} SELECT g, g % 100, g::int8 * 1000003, g / 7.0, g / 3.0, g % 2 = 0, 'row ' || g || E'\\n"x"', 'v' || g, 'p', 'n',
       date '2020-01-01' + g, timestamp '2020-01-01' + g * interval '1.000001 second', timestamptz '2020-01-01 00:00:00+00' + g * interval '1 ms',
       json_build_object('g', g), jsonb_build_object('g', g), NULL FROM generate_series(100, 5099) g`,
  );
  dir = await mkdtemp(join(tmpdir(), 'lake-csv-stage-'));
  session = await NativeSession.open();
});

afterAll(async () => {
  session?.close();
  await client?.query(`DROP TABLE IF EXISTS ${table}`);
  await client?.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function stage(sql: string, tag: string, fileRows: number) {
  const descriptors = await describeQuery(client, sql);
  const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
  const kv = { 'lake.columns': JSON.stringify(specs), 'lake.stage': 'extract' };
  const csvParts: Array<{ path: string; rows: number }> = [];
  for await (const part of stageThroughCsv(client, sql, descriptors, specs, {
    fileRows,
    rowGroupSize: 1000,
    keyValueMetadata: kv,
    csvPath: (i) => join(dir, `${tag}-${i}.csv`),
    parquetPath: (i) => join(dir, `${tag}-${i}.parquet`),
  })) {
    csvParts.push(part);
  }
  const binary = join(dir, `${tag}-binary.parquet`);
  const writer = await NativeParquetWriter.open(binary, specs, { rowGroupSize: 1000, statistics: false, keyValueMetadata: kv });
  for await (const batch of new BinaryCopyDecoder(descriptors).decode(copyOutBinary(client, sql))) await writer.writeBatch(batch);
  await writer.close();
  return { csvParts, binary, descriptors };
}

const list = (paths: string[]) => `[${paths.map((p) => `'${p}'`).join(', ')}]`;

describe('staging through CSV', () => {
  it("gives the binary path's rows, values, types and footer, in parts of whole records", async () => {
    const sql = `SELECT * FROM ${table} ORDER BY id`;
    const { csvParts, binary, descriptors } = await stage(sql, 'all', 777);
    expect(csvStageable(descriptors)).toBe(true);
    expect(csvParts.map((p) => p.rows)).toEqual([...Array(6).fill(777), 5007 - 6 * 777]);
    const csv = list(csvParts.map((p) => p.path));
    const count = async (q: string) => Number((await session.rows(`SELECT count(*) AS n FROM (${q})`))[0]?.n);
    expect(await count(`SELECT * FROM read_parquet(${csv}) EXCEPT ALL SELECT * FROM read_parquet('${binary}')`)).toBe(0);
    expect(await count(`SELECT * FROM read_parquet('${binary}') EXCEPT ALL SELECT * FROM read_parquet(${csv})`)).toBe(0);
    expect(await count(`SELECT * FROM read_parquet(${csv})`)).toBe(5007);
    // Row order is the query's.
    const ids = (await session.rows(`SELECT id FROM read_parquet(${csv})`)).map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    // NULL and '' stay apart; multi-line text survives.
    const texts = await session.rows(`SELECT id, txt, vc FROM read_parquet(${csv}) WHERE id IN (1, 4, 5, 7) ORDER BY id`);
    expect(texts).toEqual([
      { id: 1, txt: '', vc: '' },
      { id: 4, txt: null, vc: null },
      { id: 5, txt: 'line1\nline2\ttab \\ backslash\r\n"', vc: '"' },
      { id: 7, txt: '\n', vc: '"\n"' },
    ]);
    const schema = async (file: string) => (await session.rows(`SELECT name, type, logical_type, converted_type FROM parquet_schema('${file}')`)).map((r) => JSON.stringify(r));
    expect(await schema(csvParts[0]?.path as string)).toEqual(await schema(binary));
    expect(await readKeyValueMetadata(await fileSource(csvParts[0]?.path as string))).toEqual(await readKeyValueMetadata(await fileSource(binary)));
  });

  it('refuses what the lake cannot represent or DuckDB cannot read, leaving nothing behind', async () => {
    for (const [tag, value] of [
      ['inf', `'infinity'::timestamptz`],
      ['bc', `'0044-03-15 BC'::date`],
    ]) {
      const sql = `SELECT id, ${value} AS v FROM ${table} WHERE id < 10 ORDER BY id`;
      const descriptors = await describeQuery(client, sql);
      const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
      const parts = stageThroughCsv(client, sql, descriptors, specs, {
        fileRows: 100,
        rowGroupSize: 100,
        keyValueMetadata: {},
        csvPath: (i) => join(dir, `${tag}-${i}.csv`),
        parquetPath: (i) => join(dir, `${tag}-${i}.parquet`),
      });
      await expect(parts.next()).rejects.toBeInstanceOf(CsvUnreadable);
      expect((await readdir(dir)).filter((f) => f.startsWith(`${tag}-`))).toEqual([]);
      // The connection is still usable for the binary path.
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    }
  });

  it('stops at a later part DuckDB cannot read while the one before converts, leaving only the parts it gave', async () => {
    const sql = `SELECT id, CASE WHEN id = 450 THEN 'infinity'::timestamptz ELSE '2024-01-01'::timestamptz END AS v FROM ${table} WHERE id < 1000 ORDER BY id`;
    const descriptors = await describeQuery(client, sql);
    const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
    const given: number[] = [];
    const consume = async () => {
      for await (const part of stageThroughCsv(client, sql, descriptors, specs, {
        fileRows: 100,
        rowGroupSize: 100,
        keyValueMetadata: {},
        csvPath: (i) => join(dir, `late-${i}.csv`),
        parquetPath: (i) => join(dir, `late-${i}.parquet`),
      })) {
        given.push(part.rows);
        await rm(part.path);
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(CsvUnreadable);
    // Ids 1–7 and 100–999: id 450 is record 357, in part 3. Parts 0–2 were given; part 3 failed
    // while part 4's records were read; nothing else is left on disk.
    expect(given).toEqual([100, 100, 100]);
    expect((await readdir(dir)).filter((f) => f.startsWith('late-'))).toEqual([]);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('leaves arrays and numerics to the binary path', async () => {
    const descriptors = await describeQuery(client, `SELECT 1::numeric AS n, ARRAY[1] AS a, 1 AS i`);
    expect(csvStageable(descriptors)).toBe(false);
    expect(csvStageable(await describeQuery(client, 'SELECT 1 AS i, now() AS t'))).toBe(true);
  });
});

describe('lookups joined in DuckDB', () => {
  let main: string;
  let ref: string;
  beforeAll(async () => {
    main = uniqueName('lk_main');
    ref = uniqueName('lk_ref');
    await client.query(`CREATE TABLE ${ref} (id int4, u uuid, label text, info json, since date, at timestamptz, big int8, name text)`);
    await client.query(
      `INSERT INTO ${ref} SELECT g, md5(g::text)::uuid, CASE WHEN g % 5 = 0 THEN NULL ELSE 'label "' || g || E'",\n' END,
         json_build_object('min', g, 'cats', json_build_array('a', 'b')), date '2000-01-01' + g, timestamptz '2020-01-01 00:00:00.000001+00' + g * interval '1 s',
         g::int8 * 3000000000, 'n' || g FROM generate_series(1, 40) g`,
    );
    // Keys 1–45: 41–45 match no lookup row; every 13th key is null.
    await client.query(`CREATE TABLE ${main} (id int4, ref_id int4, ref_u uuid, ref_name text, v text)`);
    await client.query(
      `INSERT INTO ${main} SELECT g, CASE WHEN g % 13 = 0 THEN NULL ELSE 1 + g % 45 END, CASE WHEN g % 13 <> 0 THEN md5((1 + g % 45)::text)::uuid END, 'n' || (1 + g % 45), 'value ' || g
         FROM generate_series(1, 3000) g`,
    );
  });
  afterAll(async () => {
    await client?.query(`DROP TABLE IF EXISTS ${main}, ${ref}`);
  });

  /** The rows staged through CSV with `lookups` (or PostgreSQL's join), and why lookups were declined. */
  async function staged(tag: string, sql: string, lookups?: CsvStageOptions['lookups']) {
    const descriptors = await describeQuery(client, sql);
    const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
    const declined: string[] = [];
    const paths: string[] = [];
    for await (const part of stageThroughCsv(client, sql, descriptors, specs, {
      fileRows: 700,
      rowGroupSize: 100,
      keyValueMetadata: { 'lake.columns': JSON.stringify(specs) },
      csvPath: (i) => join(dir, `${tag}-${i}.csv`),
      parquetPath: (i) => join(dir, `${tag}-${i}.parquet`),
      lookups,
      onLookupsDeclined: (reason) => declined.push(reason),
    })) {
      paths.push(part.path);
    }
    return { paths, files: list(paths), declined };
  }

  const joinedSql = (on: string) =>
    `SELECT t.id, t.v, t.ref_id, j.label AS ref_label, j.info AS ref_info, j.since AS ref_since, j.at AS ref_at, j.big AS ref_big FROM ${main} t LEFT JOIN ${ref} j ON ${on}`;
  const lookup = (keys: string[], mains: string[]): LookupJoin => ({
    sql: `SELECT ${keys.map((k, i) => `j.${k} AS k${i}`).join(', ')}, j.label AS c0, j.info AS c1, j.since AS c2, j.at AS c3, j.big AS c4 FROM ${ref} j`,
    on: mains.map((m, i) => ({ main: m, lookup: `k${i}` })),
    columns: ['ref_label', 'ref_info', 'ref_since', 'ref_at', 'ref_big'].map((as, i) => ({ as, lookup: `c${i}` })),
  });
  const count = async (q: string) => Number((await session.rows(`SELECT count(*) AS n FROM (${q})`))[0]?.n);
  /** The two stagings hold the same rows, file by file, typed alike (DuckDB's join keeps a file's rows, not their order). */
  async function expectSame(a: string[], b: string[]) {
    expect(a.length).toBe(b.length);
    for (const [i, file] of a.entries()) {
      const other = b[i] as string;
      expect(await count(`SELECT * FROM read_parquet('${file}') EXCEPT ALL SELECT * FROM read_parquet('${other}')`)).toBe(0);
      expect(await count(`SELECT * FROM read_parquet('${other}') EXCEPT ALL SELECT * FROM read_parquet('${file}')`)).toBe(0);
    }
    expect(await count(`SELECT * FROM read_parquet(${list(a)})`)).toBe(3000);
    const schema = async (f: string) => (await session.rows(`SELECT name, type, logical_type, converted_type FROM parquet_schema('${f}')`)).map((r) => JSON.stringify(r));
    expect(await schema(a[0] as string)).toEqual(await schema(b[0] as string));
  }

  it("stages PostgreSQL's joined rows from the main rows and one read of the lookup, on integer and UUID keys", async () => {
    for (const [tag, on, key, mainKey, select] of [
      ['int', 'j.id = t.ref_id', 'id', 'ref_id', 't.id, t.v, t.ref_id'],
      // The key column is not in the staged rows: the query carries it under a name of its own.
      ['uuid', 'j.u = t.ref_u', 'u', '__key', 't.id, t.v, t.ref_id, t.ref_u AS __key'],
    ] as const) {
      const sql = `${joinedSql(on)} ORDER BY t.id`;
      const joined = await staged(`${tag}-pg`, sql);
      const looked = await staged(`${tag}-lk`, sql, { sql: `SELECT ${select} FROM ${main} t ORDER BY t.id`, joins: [lookup([key], [mainKey])] });
      expect(looked.declined).toEqual([]);
      await expectSame(looked.paths, joined.paths);
      // Unmatched and null keys give null joined columns; matched ones the lookup's values, exactly
      // (JSON as PostgreSQL's text, timestamps to the microsecond).
      const rows = await session.rows(`SELECT id, ref_label, ref_info::VARCHAR AS info, ref_at::VARCHAR AS at, ref_big FROM read_parquet(${looked.files}) WHERE id IN (13, 38, 44, 45) ORDER BY id`);
      expect(rows).toEqual([
        { id: 13, ref_label: null, info: null, at: null, ref_big: null },
        { id: 38, ref_label: 'label "39",\n', info: '{"min" : 39, "cats" : ["a", "b"]}', at: '2020-01-01 00:00:39.000001+00', ref_big: 117000000000n },
        { id: 44, ref_label: null, info: null, at: null, ref_big: null },
        { id: 45, ref_label: 'label "1",\n', info: '{"min" : 1, "cats" : ["a", "b"]}', at: '2020-01-01 00:00:01.000001+00', ref_big: 3000000000n },
      ]);
    }
  });

  it('leaves the join to PostgreSQL where DuckDB could give other rows: a key on two rows, a text key, a lookup too large', async () => {
    const dup = uniqueName('lk_dup');
    await client.query(`CREATE TABLE ${dup} AS SELECT * FROM ${ref} UNION ALL SELECT * FROM ${ref} WHERE id = 7`);
    const big = uniqueName('lk_big');
    const rows = Math.ceil(LOOKUP_MAX_BYTES / 1000) + 100;
    await client.query(`CREATE TABLE ${big} AS SELECT * FROM ${ref} UNION ALL SELECT 100 + g, NULL, repeat('x', 1000), NULL, NULL, NULL, NULL, NULL FROM generate_series(1, ${rows}) g`);
    try {
      for (const [tag, table, key, mainKey, reason] of [
        ['dup', dup, 'id', 'ref_id', 'lookup 0 has a key on more than one row'],
        ['text', ref, 'name', 'ref_name', 'lookup 0 is matched on a key that is not an integer or UUID on both sides'],
        ['big', big, 'id', 'ref_id', `lookup 0 is larger than ${LOOKUP_MAX_BYTES} bytes`],
      ] as const) {
        const sql = `${joinedSql(`j.${key} = t.${mainKey}`).replace(` ${ref} j`, ` ${table} j`)} ORDER BY t.id`;
        const plain = await staged(`${tag}-pg`, sql);
        const select = mainKey === 'ref_id' ? 't.id, t.v, t.ref_id' : 't.id, t.v, t.ref_id, t.ref_name';
        const looked = await staged(`${tag}-lk`, sql, { sql: `SELECT ${select} FROM ${main} t ORDER BY t.id`, joins: [{ ...lookup([key], [mainKey]), sql: lookup([key], [mainKey]).sql.replace(` ${ref} j`, ` ${table} j`) }] });
        expect(looked.declined).toEqual([reason]);
        // PostgreSQL's join ran: the rows are its rows (key 7 twice where it is on two rows).
        expect(await count(`SELECT * FROM read_parquet(${looked.files}) EXCEPT ALL SELECT * FROM read_parquet(${plain.files})`)).toBe(0);
        expect(await count(`SELECT * FROM read_parquet(${plain.files}) EXCEPT ALL SELECT * FROM read_parquet(${looked.files})`)).toBe(0);
        const [pg] = (await client.query(`SELECT count(*)::int AS n FROM (${sql}) q`)).rows;
        expect(await count(`SELECT * FROM read_parquet(${looked.files})`)).toBe(pg.n);
      }
      // Nothing of the declined lookups is left in DuckDB or on disk.
      expect(await session.rows(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'lake_lookup%'`)).toEqual([]);
      expect((await readdir(dir)).filter((f) => f.includes('.lookup-'))).toEqual([]);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${dup}, ${big}`);
    }
  });

  it('are the joins of contracts that only copy joined columns, from the main table', async () => {
    const contract = async (name: string) => loadContract(join(SCHEMAS, `${name}.yaml`));
    const observations = await contract('phenotype/observations');
    const split = sourceQueryWithLookups(observations, 3);
    expect(split?.sql).toBe(sourceQuery(observations, 3).replace(/, j0\.\S+ AS "variable_data_type", j0\.\S+ AS "variable_valid_values"/, '').replace(/ LEFT JOIN .* WHERE/, ' WHERE'));
    expect(split?.joins).toEqual([
      {
        sql: 'SELECT j."id" AS k0, j."data_type" AS c0, j."valid_values" AS c1 FROM "observation_variables" j',
        on: [{ main: 'observation_variable_id', lookup: 'k0' }],
        columns: [
          { as: 'variable_data_type', lookup: 'c0' },
          { as: 'variable_valid_values', lookup: 'c1' },
        ],
      },
    ]);
    // Scoped by a joined column (sensors' organization), partitioned by one (calls' variant set), or
    // joined through another join (historical weather): PostgreSQL joins.
    expect(sourceQueryWithLookups(await contract('sensor/iot_sensors'), 3)).toBeUndefined();
    expect(sourceQueryWithLookups(await contract('genotype/calls'), 3)).toBeUndefined();
    expect(sourceQueryWithLookups(await contract('climate/weather_historical'))).toBeUndefined();
  });
});
