/**
 * Golden files (hyparquet style): each committed `.parquet` fixture must decode to its `.json`,
 * and writing that decoding again must round-trip. Regenerate with test/fixtures/generate.ts.
 */
import { readFile } from 'node:fs/promises';
import type { ColumnBatch } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { bufferSource, readKeyValueMetadata, readParquetBatches, readParquetMetadata, writeParquetBuffer } from '../src/index.js';
import { ALL_TYPES_SPECS, batchFromJson } from './all-types.js';
import { collect } from './collect.js';

const FIXTURES = ['all-types', 'required-snappy'];

function readAll(bytes: Uint8Array): Promise<ColumnBatch> {
  return collect(readParquetBatches(bufferSource(bytes)));
}

describe.each(FIXTURES)('fixture %s', (name) => {
  const load = async () => {
    const bytes = new Uint8Array(await readFile(new URL(`./fixtures/${name}.parquet`, import.meta.url)));
    const { columns } = await readParquetMetadata(bufferSource(bytes));
    const expected = batchFromJson(await readFile(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'), columns);
    return { bytes, columns, expected };
  };

  it('decodes to its .json', async () => {
    const { bytes, expected } = await load();
    expect(await readAll(bytes)).toEqual(expected);
  });

  it('round-trips through the writer', async () => {
    const { bytes, columns, expected } = await load();
    const rewritten = await writeParquetBuffer(columns, [await readAll(bytes)]);
    expect(await readAll(rewritten)).toEqual(expected);
  });
});

describe('fixture all-types', () => {
  it('declares every lake type and keeps its key-value metadata', async () => {
    const bytes = new Uint8Array(await readFile(new URL('./fixtures/all-types.parquet', import.meta.url)));
    expect((await readParquetMetadata(bufferSource(bytes))).columns).toEqual(ALL_TYPES_SPECS);
    expect(await readKeyValueMetadata(bufferSource(bytes))).toEqual({ 'lake.fixture': 'all-types' });
  });
});
