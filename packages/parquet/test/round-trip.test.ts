/**
 * The acceptance criterion: every type the lake writes is read back identically by DuckDB and
 * by hyparquet (through our reader).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnBatch, LakeValue } from '@lake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileSource,
  type ParquetCompression,
  readKeyValueMetadata,
  readParquetBatches,
  readParquetMetadata,
  writeParquetFile,
} from '../src/index.js';
import { ALL_TYPES_SPECS, allTypesBatch } from './all-types.js';
import { collect } from './collect.js';
import { duckdb, duckdbType, lakeExpression, literal, query } from './duckdb.js';

let dir: string;
let db: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-parquet-'));
  db = await duckdb();
});
afterAll(async () => {
  db.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function readAll(path: string, columns?: string[]): Promise<ColumnBatch> {
  return collect(readParquetBatches(await fileSource(path), { columns }));
}

describe.each<ParquetCompression>(['zstd', 'snappy', 'uncompressed'])('all lake types, %s', (compression) => {
  let path: string;
  const expected = allTypesBatch();

  beforeAll(async () => {
    path = join(dir, `all-types-${compression}.parquet`);
    await writeParquetFile(path, ALL_TYPES_SPECS, [expected], {
      compression,
      keyValueMetadata: { 'lake.contract': '{"dataset":"t"}', 'lake.note': 'ünïcode ✓' },
    });
  });

  it('reads back identically with hyparquet', async () => {
    expect(await readAll(path)).toEqual(expected);
  });

  it('recovers the column specs and key-value metadata from the footer', async () => {
    const source = await fileSource(path);
    const info = await readParquetMetadata(source);
    expect(info.columns).toEqual(ALL_TYPES_SPECS);
    expect(info.rowCount).toBe(expected.rowCount);
    expect(info.raw.row_groups[0]?.columns[0]?.meta_data?.codec).toBe(compression.toUpperCase());
    expect(await readKeyValueMetadata(source)).toEqual({ 'lake.contract': '{"dataset":"t"}', 'lake.note': 'ünïcode ✓' });
  });

  it('has the DuckDB column types the lake types map to', async () => {
    const rows = await query(db, `DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
    const actual = Object.fromEntries(rows.map((row) => [row.column_name, row.column_type]));
    const wanted = Object.fromEntries(ALL_TYPES_SPECS.map((spec) => [spec.name, duckdbType(spec.type)]));
    expect(actual).toEqual(wanted);
  });

  it('reads back identically with DuckDB', async () => {
    const select = ALL_TYPES_SPECS.map((spec) => `${lakeExpression(spec.name, spec.type)} AS "${spec.name}"`).join(', ');
    const rows = await query(db, `SELECT ${select} FROM read_parquet(${literal(path)}) ORDER BY id`);
    for (const spec of ALL_TYPES_SPECS) {
      const actual = rows.map((row) => normalizeDuckdb(row[spec.name]));
      expect(actual, spec.name).toEqual(expected.columns[spec.name]);
    }
  });
});

/** DuckDB's JS values: lists come back as arrays, everything else already in lake form. */
function normalizeDuckdb(value: unknown): LakeValue {
  if (Array.isArray(value)) return value.map(normalizeDuckdb);
  return value as LakeValue;
}

describe('DuckDB text renderings', () => {
  it('shows timestamps with microseconds in UTC, and pre-1970 instants', async () => {
    const path = join(dir, 'timestamps.parquet');
    const values = [1704067200123456n, -1n, -86399999999n, 1n];
    await writeParquetFile(path, [{ name: 'ts', type: 'timestamp', nullable: false }], [{ rowCount: 4, columns: { ts: values } }]);
    await db.run(`SET TimeZone = 'UTC'`);
    const rows = await query(db, `SELECT CAST(ts AS VARCHAR) AS t FROM read_parquet(${literal(path)})`);
    expect(rows.map((row) => row.t)).toEqual([
      '2024-01-01 00:00:00.123456+00',
      '1969-12-31 23:59:59.999999+00',
      '1969-12-31 00:00:00.000001+00',
      '1970-01-01 00:00:00.000001+00',
    ]);
  });

  it('parses JSON columns as JSON, not as double-encoded strings', async () => {
    const path = join(dir, 'json.parquet');
    const json = ['{"a":{"b":[1,"ü",null]}}', '[]', '"s"'];
    await writeParquetFile(path, [{ name: 'j', type: 'json', nullable: false }], [{ rowCount: 3, columns: { j: json } }]);
    const rows = await query(db, `SELECT json_type(j) AS t, CAST(j->'$.a.b[1]' AS VARCHAR) AS v FROM read_parquet(${literal(path)})`);
    expect(rows).toEqual([
      { t: 'OBJECT', v: '"ü"' },
      { t: 'ARRAY', v: null },
      { t: 'VARCHAR', v: null },
    ]);
  });

  it('keeps decimals exact beyond float precision', async () => {
    const path = join(dir, 'decimal.parquet');
    const d = ['-12345678901234567890123456.123456789012', '0.000000000001'];
    await writeParquetFile(path, [{ name: 'd', type: 'decimal(38,12)', nullable: false }], [{ rowCount: 2, columns: { d } }]);
    const rows = await query(db, `SELECT CAST(d + d AS VARCHAR) AS twice FROM read_parquet(${literal(path)})`);
    expect(rows.map((row) => row.twice)).toEqual(['-24691357802469135780246912.246913578024', '0.000000000002']);
  });
});

describe('files DuckDB writes', () => {
  it('are read by our reader in the lake representation', async () => {
    const path = join(dir, 'from-duckdb.parquet');
    await db.run(`COPY (SELECT
        CAST(-3 AS SMALLINT) AS s16, CAST(9007199254740993 AS BIGINT) AS i64, CAST('-12.50' AS DECIMAL(9,2)) AS d9,
        CAST('-1.5' AS DECIMAL(18,3)) AS d18, CAST('-1.5' AS DECIMAL(30,3)) AS d30,
        DATE '1969-12-31' AS dt, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00' AS ts,
        '小麦 🌾' AS s, [1, NULL, 3] AS li, CAST([] AS VARCHAR[]) AS ls
      ) TO ${literal(path)} (FORMAT parquet)`);
    const source = await fileSource(path);
    const info = await readParquetMetadata(source);
    expect(info.columns.map((c) => c.type)).toEqual([
      'int16', 'int64', 'decimal(9,2)', 'decimal(18,3)', 'decimal(30,3)', 'date', 'timestamp', 'string', 'list<int32>', 'list<string>',
    ]);
    expect(await readAll(path)).toEqual({
      rowCount: 1,
      columns: {
        s16: [-3], i64: [9007199254740993n], d9: ['-12.50'], d18: ['-1.500'], d30: ['-1.500'],
        dt: [-1], ts: [-1n], s: ['小麦 🌾'], li: [[1, null, 3]], ls: [[]],
      },
    });
  });
});

describe('column selection and batching', () => {
  it('reads only the requested columns, in the requested order', async () => {
    const path = join(dir, 'select.parquet');
    await writeParquetFile(path, ALL_TYPES_SPECS, [allTypesBatch()]);
    const batch = await readAll(path, ['list_string', 'int64']);
    expect(Object.keys(batch.columns)).toEqual(['list_string', 'int64']);
    expect(batch.columns.int64).toEqual(allTypesBatch().columns.int64);
  });

  it('names an unknown column', async () => {
    const path = join(dir, 'select.parquet');
    await expect(readAll(path, ['nope'])).rejects.toThrow(/column "nope" is not in the file/);
  });
});
