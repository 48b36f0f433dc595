/**
 * Multi-row-group files stream both ways: the writer hands bytes to its sink row group by row
 * group, the reader yields per row group, and the footer statistics let DuckDB prune.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnBatch, ColumnSpec } from '@lake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, fileSink, ParquetFileWriter, type ParquetWriteResult, readParquetBatches, readParquetMetadata } from '../src/index.js';
import { duckdb, literal, query } from './duckdb.js';

const ROWS = 300_000;
const ROW_GROUP = 50_000;
const BATCH = 10_000;
const T0 = 1_704_067_200_000_000n; // 2024-01-01T00:00:00Z in µs

const SPECS: ColumnSpec[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'ts', type: 'timestamp', nullable: false },
  { name: 'yield_kg', type: 'decimal(10,2)', nullable: true },
  { name: 'plot', type: 'string', nullable: true },
  { name: 'tags', type: 'list<string>', nullable: true },
];

function batchAt(start: number, rows: number): ColumnBatch {
  const id = [];
  const ts = [];
  const yieldKg = [];
  const plot = [];
  const tags = [];
  for (let i = start; i < start + rows; i++) {
    id.push(BigInt(i));
    ts.push(T0 + BigInt(i) * 1_000_001n);
    yieldKg.push(i % 7 === 0 ? null : `${(i % 10_000) - 5000}.${String(i % 100).padStart(2, '0')}`);
    plot.push(`plot-${String(i).padStart(6, '0')}`);
    tags.push(i % 3 === 0 ? [] : [`t${i % 5}`, null]);
  }
  return { rowCount: rows, columns: { id, ts, yield_kg: yieldKg, plot, tags } };
}

let dir: string;
let path: string;
let db: DuckDBConnection;
let result: ParquetWriteResult;
const chunkSizes: number[] = [];
let chunksBeforeClose = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-parquet-stream-'));
  path = join(dir, 'big.parquet');
  db = await duckdb();
  const file = await fileSink(path);
  const sink = {
    async write(chunk: Uint8Array) {
      chunkSizes.push(chunk.byteLength);
      await file.write(chunk);
    },
  };
  const writer = new ParquetFileWriter(SPECS, sink, { rowGroupSize: ROW_GROUP });
  for (let start = 0; start < ROWS; start += BATCH) await writer.writeBatch(batchAt(start, BATCH));
  chunksBeforeClose = chunkSizes.length;
  result = await writer.close();
  await file.close();
}, 60_000);

afterAll(async () => {
  db.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('streaming writer', () => {
  it('hands each full row group to the sink before close, and only the footer on close', () => {
    expect(chunksBeforeClose).toBe(ROWS / ROW_GROUP);
    expect(chunkSizes.length).toBe(ROWS / ROW_GROUP + 1);
  });

  it('never holds more than about one row group of bytes', () => {
    const largest = Math.max(...chunkSizes);
    expect(largest).toBeLessThan(result.byteSize / 3);
  });

  it('reports rows, bytes and file-level column statistics', async () => {
    const bytes = await readFile(path);
    expect(result.rowCount).toBe(ROWS);
    expect(result.byteSize).toBe(bytes.byteLength);
    expect(result.columnStats.id).toEqual({ nullCount: 0, min: 0n, max: BigInt(ROWS - 1) });
    expect(result.columnStats.ts).toEqual({ nullCount: 0, min: T0, max: T0 + BigInt(ROWS - 1) * 1_000_001n });
    expect(result.columnStats.yield_kg).toEqual({ nullCount: Math.ceil(ROWS / 7), min: '-5000.00', max: '4999.99' });
    expect(result.columnStats.plot).toEqual({ nullCount: 0, min: 'plot-000000', max: 'plot-299999' });
    expect(result.columnStats.tags).toEqual({ nullCount: 0 });
  });
});

describe('streaming reader', () => {
  it('yields one batch per row group, in order, identical to what was written', async () => {
    const source = bufferSource(await readFile(path));
    const info = await readParquetMetadata(source);
    expect(info.rowGroups.map((group) => group.rowCount)).toEqual(Array(ROWS / ROW_GROUP).fill(ROW_GROUP));
    let start = 0;
    for await (const batch of readParquetBatches(source, { metadata: info })) {
      expect(batch.rowCount).toBe(ROW_GROUP);
      expect(batch).toEqual(batchAt(start, ROW_GROUP));
      start += batch.rowCount;
    }
    expect(start).toBe(ROWS);
  });

  it('splits row groups into batchRows, never across row groups', async () => {
    const source = bufferSource(await readFile(path));
    const sizes: number[] = [];
    let first: bigint | undefined;
    for await (const batch of readParquetBatches(source, { columns: ['id'], batchRows: 20_000 })) {
      sizes.push(batch.rowCount);
      first ??= batch.columns.id?.[0] as bigint;
    }
    expect(sizes).toEqual(Array(ROWS / ROW_GROUP).fill([20_000, 20_000, 10_000]).flat());
    expect(first).toBe(0n);
  });
});

describe('DuckDB over the multi-row-group file', () => {
  it('finds min/max statistics for every row group and column', async () => {
    const rows = await query(
      db,
      `SELECT row_group_id AS g, path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls
       FROM parquet_metadata(${literal(path)}) ORDER BY g, column_id`,
    );
    const ids = rows.filter((row) => row.col === 'id');
    expect(ids.map((row) => [row.lo, row.hi])).toEqual(
      Array.from({ length: ROWS / ROW_GROUP }, (_, g) => [String(g * ROW_GROUP), String((g + 1) * ROW_GROUP - 1)]),
    );
    for (const row of rows) {
      expect(row.lo, `${row.col} row group ${row.g}`).not.toBeNull();
      expect(row.hi, `${row.col} row group ${row.g}`).not.toBeNull();
      expect(row.nulls, `${row.col} row group ${row.g}`).not.toBeNull();
    }
    const yields = rows.filter((row) => row.col === 'yield_kg');
    expect(yields[0]).toMatchObject({ lo: '-5000.00', hi: '4999.99' });
  });

  it('prunes row groups by statistics', async () => {
    // Proof by sabotage: wreck the first row group's `id` pages. A query whose filter excludes
    // that row group by its min/max still succeeds; one that must read it fails.
    const bytes = new Uint8Array(await readFile(path));
    const info = await readParquetMetadata(bufferSource(bytes));
    const chunk = info.raw.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'id')?.meta_data;
    if (!chunk) throw new Error('no id column chunk');
    const from = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
    bytes.fill(0xff, from, from + Number(chunk.total_compressed_size));
    const broken = join(dir, 'broken-first-row-group.parquet');
    await writeFile(broken, bytes);

    const [row] = await query(db, `SELECT count(*) AS n FROM read_parquet(${literal(broken)}) WHERE id >= 250000`);
    expect(row?.n).toBe(50_000n);
    await expect(query(db, `SELECT count(*) AS n FROM read_parquet(${literal(broken)}) WHERE id < 10`)).rejects.toThrow();
  });

  it('reads the same values as were written', async () => {
    const [row] = await query(
      db,
      `SELECT count(*) AS n, sum(id) AS ids, count(yield_kg) AS yields, CAST(sum(yield_kg) AS VARCHAR) AS total,
              epoch_us(max(ts)) AS last, count(*) FILTER (WHERE len(tags) = 0) AS empty_tags
       FROM read_parquet(${literal(path)})`,
    );
    let total = 0n; // in cents
    for (const value of batchAt(0, ROWS).columns.yield_kg ?? []) if (value !== null) total += BigInt((value as string).replace('.', ''));
    expect(row).toEqual({
      n: BigInt(ROWS),
      ids: (BigInt(ROWS) * BigInt(ROWS - 1)) / 2n,
      yields: BigInt(ROWS - Math.ceil(ROWS / 7)),
      total: `${total / 100n}.${String((total < 0n ? -total : total) % 100n).padStart(2, '0')}`,
      last: T0 + BigInt(ROWS - 1) * 1_000_001n,
      empty_tags: BigInt(ROWS / 3),
    });
  });
});
