/**
 * The native (DuckDB) writer writes what the JavaScript writer writes: every lake type read back
 * identically by hyparquet and DuckDB, the same column specs, key-value metadata and file
 * statistics, and the same validation messages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnBatch, ColumnSpec, LakeValue } from '@lake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import {
  fileSource,
  NativePartitionedWriter,
  NativeSession,
  NativeParquetWriter,
  type NativeParquetWriteOptions,
  type ParquetCompression,
  type ParquetWriteResult,
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
let seq = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-parquet-native-'));
  db = await duckdb();
});
afterAll(async () => {
  db.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function writeNative(specs: ColumnSpec[], batches: ColumnBatch[], options: NativeParquetWriteOptions = {}): Promise<{ path: string; result: ParquetWriteResult }> {
  const path = join(dir, `native-${seq++}.parquet`);
  const writer = await NativeParquetWriter.open(path, specs, options);
  try {
    for (const batch of batches) await writer.writeBatch(batch);
    return { path, result: await writer.close() };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

const KV = { 'lake.contract': "dataset: t\nnote: it's {\"a\":1}", 'lake.note': 'ünïcode ✓' };

describe.each<ParquetCompression>(['zstd', 'snappy', 'uncompressed'])('all lake types, native, %s', (compression) => {
  const expected = allTypesBatch();
  let path: string;
  let result: ParquetWriteResult;

  beforeAll(async () => {
    ({ path, result } = await writeNative(ALL_TYPES_SPECS, [expected], { compression, keyValueMetadata: KV }));
  });

  it('reads back identically with hyparquet', async () => {
    expect(await collect(readParquetBatches(await fileSource(path)))).toEqual(expected);
  });

  it('recovers the column specs (nullability included) and key-value metadata', async () => {
    const source = await fileSource(path);
    const info = await readParquetMetadata(source);
    expect(info.columns).toEqual(ALL_TYPES_SPECS);
    expect(info.rowCount).toBe(expected.rowCount);
    expect(info.raw.row_groups[0]?.columns[0]?.meta_data?.codec).toBe(compression.toUpperCase());
    expect(await readKeyValueMetadata(source)).toEqual(KV);
  });

  it('has the DuckDB column types the lake types map to, and reads back identically with DuckDB', async () => {
    const rows = await query(db, `DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
    expect(Object.fromEntries(rows.map((row) => [row.column_name, row.column_type]))).toEqual(
      Object.fromEntries(ALL_TYPES_SPECS.map((spec) => [spec.name, duckdbType(spec.type)])),
    );
    const select = ALL_TYPES_SPECS.map((spec) => `${lakeExpression(spec.name, spec.type)} AS "${spec.name}"`).join(', ');
    const values = await query(db, `SELECT ${select} FROM read_parquet(${literal(path)}) ORDER BY id`);
    for (const spec of ALL_TYPES_SPECS) expect(values.map((row) => row[spec.name]), spec.name).toEqual(expected.columns[spec.name]);
  });

  it('reports the same rows and file statistics as the JavaScript writer', async () => {
    const js = await writeParquetFile(join(dir, `js-${compression}.parquet`), ALL_TYPES_SPECS, [expected], { compression });
    expect(result.rowCount).toBe(js.rowCount);
    expect(result.columnStats).toEqual(js.columnStats);
  });
});

describe('all lake types, native, several partition files in one flush', () => {
  it('reads back identically with hyparquet and DuckDB, file by file, with the specs and metadata of a single file', async () => {
    const expected = allTypesBatch();
    const writer = await NativePartitionedWriter.open(ALL_TYPES_SPECS, { keyValueMetadata: KV });
    // Two files, rows interleaved: each file keeps its rows in the order they came.
    const half = (from: number, to: number): ColumnBatch => ({
      rowCount: to - from,
      columns: Object.fromEntries(Object.entries(expected.columns).map(([name, values]) => [name, values.slice(from, to)])),
    });
    const cut = Math.floor(expected.rowCount / 2);
    await writer.writeBatch(5, half(0, cut));
    await writer.writeBatch(2, expected);
    await writer.writeBatch(5, half(cut, expected.rowCount));
    const written = await writer.flush((file) => join(dir, `all-types-part-${file}.parquet`));
    await writer.close();
    expect(written.map((f) => [f.file, f.rowCount])).toEqual([[5, expected.rowCount], [2, expected.rowCount]]);
    const single = await writeNative(ALL_TYPES_SPECS, [expected], { keyValueMetadata: KV });
    const select = ALL_TYPES_SPECS.map((spec) => `${lakeExpression(spec.name, spec.type)} AS "${spec.name}"`).join(', ');
    for (const f of written) {
      const source = await fileSource(f.path);
      expect(await collect(readParquetBatches(source))).toEqual(expected);
      expect((await readParquetMetadata(source)).columns).toEqual(ALL_TYPES_SPECS);
      expect(await readKeyValueMetadata(source)).toEqual(KV);
      expect(f.columnStats).toEqual(single.result.columnStats);
      const values = await query(db, `SELECT ${select} FROM read_parquet(${literal(f.path)})`);
      for (const spec of ALL_TYPES_SPECS) expect(values.map((row) => row[spec.name]), spec.name).toEqual(expected.columns[spec.name]);
    }
  });
});

describe('native writer, many batches', () => {
  it('keeps row order across batches and row groups, and bounds row groups by rowGroupSize', async () => {
    const specs: ColumnSpec[] = [
      { name: 'id', type: 'int64', nullable: false },
      { name: 's', type: 'string', nullable: true },
    ];
    const batches = Array.from({ length: 5 }, (_, b) => ({
      rowCount: 3000,
      columns: {
        id: Array.from({ length: 3000 }, (_, i) => BigInt(b * 3000 + i)),
        s: Array.from({ length: 3000 }, (_, i) => (i % 5 === 0 ? null : `v${b * 3000 + i}`)),
      },
    }));
    const { path, result } = await writeNative(specs, batches, { rowGroupSize: 4096 });
    expect(result.rowCount).toBe(15_000);
    expect(result.columnStats.id).toEqual({ nullCount: 0, min: 0n, max: 14_999n });
    const info = await readParquetMetadata(await fileSource(path));
    expect(Math.max(...info.rowGroups.map((g) => g.rowCount))).toBeLessThanOrEqual(4096);
    const all = await collect(readParquetBatches(await fileSource(path)));
    expect(all.columns.id).toEqual(batches.flatMap((b) => b.columns.id));
    expect(all.columns.s).toEqual(batches.flatMap((b) => b.columns.s));
  });

  it('skips statistics when asked', async () => {
    const { result } = await writeNative([{ name: 'a', type: 'int32', nullable: true }], [{ rowCount: 1, columns: { a: [1] } }], { statistics: false });
    expect(result.columnStats).toEqual({});
  });

  it('writes an empty file', async () => {
    const specs: ColumnSpec[] = [{ name: 'a', type: 'list<decimal(20,3)>', nullable: true }];
    const { path, result } = await writeNative(specs, []);
    expect(result.rowCount).toBe(0);
    const info = await readParquetMetadata(await fileSource(path));
    expect(info.rowCount).toBe(0);
    expect(info.columns).toEqual(specs);
  });
});

describe('native writer validation', () => {
  const one = (type: string, value: LakeValue) => writeNative([{ name: 'c', type, nullable: true }] as ColumnSpec[], [{ rowCount: 2, columns: { c: [null, value] } }]);

  it.each<[string, LakeValue, RegExp]>([
    ['int16', 40000, /column "c" row 1: 40000 is outside the int16 range -32768\.\.32767/],
    ['int32', 1.5, /column "c" row 1: expected an integer number for int32, got 1\.5/],
    ['int64', 5, /column "c" row 1: expected a bigint for int64, got 5/],
    ['timestamp', '2024-01-01T00:00:00Z', /column "c" row 1: expected a bigint of microseconds since the epoch for timestamp, got "2024-01-01T00:00:00Z"/],
    ['decimal(5,2)', '1.234', /column "c" row 1: "1\.234" has more than 2 fraction digits for decimal\(5,2\)/],
    ['decimal(5,2)', '1234.5', /column "c" row 1: "1234\.5" has more than 3 integer digits/],
    ['json', '{bad', /column "c" row 1: "\{bad" is not valid JSON text/],
    ['date', 19723.5, /expected an integer number of days/],
    ['list<int32>', 3, /expected an array for list<int32>, got 3/],
    ['list<int64>', [1n, 2], /column "c" row 1: expected a bigint for int64, got 2/],
    ['string', 42, /expected a string for string, got 42/],
    ['boolean', 1, /expected a boolean for boolean, got 1/],
  ])('%s rejects %o', async (type, value, message) => {
    await expect(one(type, value)).rejects.toThrow(message);
  });

  it('rejects null in a non-nullable column, counting rows across batches', async () => {
    const specs: ColumnSpec[] = [{ name: 'id', type: 'int32', nullable: false }];
    await expect(writeNative(specs, [{ rowCount: 2, columns: { id: [1, 2] } }, { rowCount: 2, columns: { id: [3, null] } }])).rejects.toThrow(
      /column "id" row 3: null in a non-nullable column/,
    );
  });

  it('rejects missing, extra and short columns, and bad specs', async () => {
    const specs: ColumnSpec[] = [{ name: 'a', type: 'int32', nullable: true }];
    await expect(writeNative(specs, [{ rowCount: 1, columns: {} }])).rejects.toThrow(/batch is missing column "a"/);
    await expect(writeNative(specs, [{ rowCount: 1, columns: { a: [1], b: [2] } }])).rejects.toThrow(/batch has column "b"/);
    await expect(writeNative(specs, [{ rowCount: 2, columns: { a: [1] } }])).rejects.toThrow(/column "a" has 1 values, batch rowCount is 2/);
    await expect(writeNative([{ name: 'a', type: 'decimal(40,2)' as never, nullable: true }], [])).rejects.toThrow(/column "a": decimal precision/);
    await expect(writeNative(specs, [], { rowGroupSize: 0 })).rejects.toThrow(/rowGroupSize must be a positive integer, got 0/);
  });

  it('is unusable after a failure and after close', async () => {
    const writer = await NativeParquetWriter.open(join(dir, 'failed.parquet'), [{ name: 'n', type: 'int16', nullable: true }]);
    await expect(writer.writeBatch({ rowCount: 1, columns: { n: ['x'] } })).rejects.toThrow(/column "n" row 0:/);
    await expect(writer.close()).rejects.toThrow(/close\(\) called on a failed writer/);
    await writer.abort();
    const closed = await NativeParquetWriter.open(join(dir, 'closed.parquet'), [{ name: 'n', type: 'int16', nullable: true }]);
    await closed.close();
    await expect(closed.writeBatch({ rowCount: 0, columns: { n: [] } })).rejects.toThrow(/writeBatch\(\) called on a closed writer/);
  });
});

describe("the workers' DuckDB and a file replaced at the same path", () => {
  it('reads the new file, not cached pages of one of the same size it read there before', async () => {
    // A transform downloads each staged file to one local path in turn, often within a second,
    // and two staged files can have the same size: DuckDB's file cache served the first file's
    // pages for the second ("ZSTD Decompression failure" in a quick start's 120-row dataset).
    const session = await NativeSession.open();
    try {
      const bySize = new Map<number, string[]>();
      for (let k = 1; k <= 60; k++) {
        const path = join(dir, `replaced-${k}.parquet`);
        await session.run(`COPY (SELECT i * ${k} AS id, 'note ' || (i * ${k}) AS note FROM range(300) t(i)) TO ${literal(path)} (FORMAT parquet, COMPRESSION zstd)`);
        const size = statSync(path).size;
        bySize.set(size, [...(bySize.get(size) ?? []), path]);
      }
      const sameSize = [...bySize.values()].filter((paths) => paths.length > 1);
      expect(sameSize.length, 'files of one size, different content').toBeGreaterThan(0);
      const local = join(dir, 'replaced-staged.parquet');
      for (const path of sameSize.flat()) {
        copyFileSync(path, local);
        const sql = (file: string) => `SELECT count(*) AS n, sum(id) AS ids, max(note) AS note FROM read_parquet(${literal(file)})`;
        const [read] = await session.rows(sql(local));
        const [truth] = await query(db, sql(path));
        expect(read, path).toEqual(truth);
        rmSync(local);
      }
    } finally {
      session.close();
    }
  });
});

describe('a query copied to a lake Parquet file', () => {
  it('gives the file, specs, metadata and statistics the native writer gives the same rows', async () => {
    const expected = allTypesBatch();
    const single = await writeNative(ALL_TYPES_SPECS, [expected], { keyValueMetadata: KV });
    const session = await NativeSession.open();
    try {
      const path = join(dir, 'copied.parquet');
      // Columns in another order: the copy selects them by name.
      const reversed = [...ALL_TYPES_SPECS].reverse().map((s) => `"${s.name}"`).join(', ');
      const result = await session.copyToParquet(`SELECT ${reversed} FROM read_parquet(${literal(single.path)})`, path, ALL_TYPES_SPECS, { keyValueMetadata: KV });
      expect(result.rowCount).toBe(expected.rowCount);
      expect(result.columnStats).toEqual(single.result.columnStats);
      const source = await fileSource(path);
      expect(await collect(readParquetBatches(source))).toEqual(expected);
      expect((await readParquetMetadata(source)).columns).toEqual(ALL_TYPES_SPECS);
      expect(await readKeyValueMetadata(source)).toEqual(KV);
      const rows = await query(db, `DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
      expect(rows.map((row) => row.column_type)).toEqual(ALL_TYPES_SPECS.map((spec) => duckdbType(spec.type)));
    } finally {
      session.close();
    }
  });

  it('takes statistics from the footer DuckDB wrote, and from the rows where the footer is not exact', async () => {
    // Text bounds past 256 bytes (DuckDB's footer keeps a prefix), lists with null rows and null
    // elements (the footer counts elements), NaN beside numbers and alone, infinities, non-ASCII.
    const specs: ColumnSpec[] = [
      { name: 'long', type: 'string', nullable: true },
      { name: 'short', type: 'string', nullable: false },
      { name: 'xs', type: 'list<int32>', nullable: true },
      { name: 'f', type: 'float64', nullable: true },
      { name: 'nan', type: 'float64', nullable: true },
      { name: 't', type: 'timestamp', nullable: true },
      { name: 'd', type: 'decimal(12,3)', nullable: true },
    ];
    const batch: ColumnBatch = {
      rowCount: 4,
      columns: {
        long: ['b'.repeat(300), 'a', null, `b${'z'.repeat(400)}`],
        short: ['ü😀', '', 'zz', 'a'],
        xs: [[1, null], null, [], [3]],
        f: [Number.NaN, -2.5, Number.POSITIVE_INFINITY, null],
        nan: [Number.NaN, null, Number.NaN, null],
        t: [-62135596800000000n, 1_700_000_000_123_456n, null, 0n],
        d: ['-123456789.125', '0.001', null, '5.000'],
      },
    };
    const written = await writeNative(specs, [batch]);
    const session = await NativeSession.open();
    try {
      const copied = await session.copyToParquet(`SELECT * FROM read_parquet(${literal(written.path)})`, join(dir, 'copied-stats.parquet'), specs);
      expect(copied.columnStats).toEqual(written.result.columnStats);
      expect(copied.columnStats.long).toEqual({ nullCount: 1, min: 'a', max: `b${'z'.repeat(400)}` });
      expect(copied.columnStats.xs?.nullCount).toBe(1);
      expect(copied.columnStats.nan).toEqual({ nullCount: 2 });
    } finally {
      session.close();
    }
  });

  it('is Parquet format 2 with small dictionaries: up to 1,000 distinct values per row group dictionary-encoded, more delta-encoded or byte-stream-split', async () => {
    const specs: ColumnSpec[] = [
      { name: 'few', type: 'int32', nullable: false },
      { name: 'many', type: 'int64', nullable: false },
      { name: 'few_text', type: 'string', nullable: false },
      { name: 'many_text', type: 'string', nullable: false },
      { name: 'many_times', type: 'timestamp', nullable: false },
      { name: 'many_floats', type: 'float64', nullable: false },
    ];
    const path = join(dir, 'copied-encodings.parquet');
    const session = await NativeSession.open();
    try {
      const select =
        `SELECT i % 1000 AS few, i % 1001 AS many, 'v' || (i % 1000) AS few_text, 'v' || (i % 1001) AS many_text, ` +
        `TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) MICROSECOND AS many_times, i / 7.0 AS many_floats FROM range(20000) t(i)`;
      expect((await session.copyToParquet(select, path, specs, { rowGroupSize: 20000 })).rowCount).toBe(20000);
    } finally {
      session.close();
    }
    const rows = await query(db, `SELECT path_in_schema AS col, encodings FROM parquet_metadata(${literal(path)})`);
    const encodings = (col: string) => String(rows.find((r) => r.col === col)?.encodings);
    expect(encodings('few')).toBe('RLE_DICTIONARY');
    expect(encodings('few_text')).toBe('RLE_DICTIONARY');
    expect(encodings('many')).toBe('DELTA_BINARY_PACKED');
    expect(encodings('many_text')).toBe('DELTA_LENGTH_BYTE_ARRAY');
    expect(encodings('many_times')).toBe('DELTA_BINARY_PACKED');
    expect(encodings('many_floats')).toBe('BYTE_STREAM_SPLIT');
    const [sums] = await query(db, `SELECT sum(few) AS few, sum(many) AS many, count(DISTINCT many_text) AS texts, epoch_us(max(many_times)) AS last FROM read_parquet(${literal(path)})`);
    expect(sums).toEqual({ few: 9_990_000n, many: 9_990_190n, texts: 1001n, last: 1_704_067_200_019_999n });
  });

  it('refuses bad JSON text (naming the row) and a null in a required column, leaving no file', async () => {
    const specs: ColumnSpec[] = [
      { name: 'id', type: 'int32', nullable: false },
      { name: 'j', type: 'json', nullable: true },
    ];
    const session = await NativeSession.open();
    try {
      const bad = join(dir, 'copied-bad-json.parquet');
      await expect(session.copyToParquet(`SELECT * FROM (VALUES (1, '{}'), (2, '{oops')) t(id, j)`, bad, specs)).rejects.toThrow(/column "j" row 1: "\{oops" is not valid JSON text/);
      expect(existsSync(bad)).toBe(false);
      const missing = join(dir, 'copied-null-id.parquet');
      await expect(session.copyToParquet(`SELECT * FROM (VALUES (1, NULL), (NULL, '[]')) t(id, j)`, missing, specs)).rejects.toThrow(/column "id" is required but 1 rows hold null/);
      expect(existsSync(missing)).toBe(false);
      const none = await session.copyToParquet(`SELECT 1 AS id, '[1]' AS j WHERE false`, join(dir, 'copied-empty.parquet'), specs);
      expect(none.rowCount).toBe(0);
    } finally {
      session.close();
    }
  });
});

describe('native partitioned writer', () => {
  const specs: ColumnSpec[] = [
    { name: 'id', type: 'int32', nullable: false },
    { name: 'j', type: 'json', nullable: true },
  ];
  const batch = (ids: number[]): ColumnBatch => ({ rowCount: ids.length, columns: { id: ids, j: ids.map((i) => (i % 2 ? null : `{"i":${i}}`)) } });

  it('writes one file per file number, rows in order, with each file\'s statistics, and starts over after a flush', async () => {
    const writer = await NativePartitionedWriter.open(specs, { keyValueMetadata: { k: 'v' } });
    await writer.writeBatch(7, batch([1, 2]));
    await writer.writeBatch(3, batch([10, 11, 12]));
    await writer.writeBatch(7, batch([3]));
    expect(writer.pendingRows).toBe(6);
    const first = await writer.flush((file) => join(dir, `part-${file}.parquet`));
    expect(first.map((f) => [f.file, f.rowCount])).toEqual([[7, 3], [3, 3]]);
    expect(first[0]?.columnStats).toEqual({ id: { nullCount: 0, min: 1, max: 3 }, j: { nullCount: 2 } });
    expect(first[1]?.columnStats.id).toEqual({ nullCount: 0, min: 10, max: 12 });
    const seven = await collect(readParquetBatches(await fileSource(join(dir, 'part-7.parquet'))));
    expect(seven).toEqual(batch([1, 2, 3]));
    const info = await readParquetMetadata(await fileSource(join(dir, 'part-3.parquet')));
    expect(info.columns).toEqual(specs);
    expect(info.keyValueMetadata).toEqual({ k: 'v' });
    expect(writer.pendingRows).toBe(0);
    await writer.writeBatch(8, batch([20]));
    const second = await writer.flush((file) => join(dir, `part-${file}.parquet`));
    expect(second.map((f) => [f.file, f.rowCount])).toEqual([[8, 1]]);
    expect(await collect(readParquetBatches(await fileSource(join(dir, 'part-8.parquet'))))).toEqual(batch([20]));
    await writer.close();
  });

  it('names the row within its file of bad JSON text', async () => {
    const writer = await NativePartitionedWriter.open(specs);
    await writer.writeBatch(1, batch([2, 4]));
    await writer.writeBatch(2, batch([6]));
    await writer.writeBatch(1, { rowCount: 1, columns: { id: [8], j: ['{oops'] } });
    await expect(writer.flush((file) => join(dir, `bad-${file}.parquet`))).rejects.toThrow(/column "j" row 2: "\{oops" is not valid JSON text/);
    await writer.abort();
  });
});
