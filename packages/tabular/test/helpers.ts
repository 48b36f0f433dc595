import { readFileSync } from 'node:fs';
import { type OpenedTable, openTable, type ReadTableOptions, type TableRecord } from '../src/index.js';

export const REFERENCE = '/work/shared/reference/datasets';

export function referenceBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(`${REFERENCE}/${relative}`));
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A seeded PRNG (mulberry32): failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` cut into chunks of `min`..`max` bytes, yielded asynchronously. */
export async function* chunked(bytes: Uint8Array, min: number, max: number, seed = 1): AsyncGenerator<Uint8Array> {
  const random = prng(seed);
  for (let at = 0; at < bytes.length; ) {
    const size = min + Math.floor(random() * (max - min + 1));
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

export interface ReadResult {
  table: OpenedTable;
  records: TableRecord[];
  rows: number;
  errors: TableRecord[];
}

/** Opens and drains a table. */
export async function readAll(source: Parameters<typeof openTable>[0], options?: ReadTableOptions): Promise<ReadResult> {
  const table = await openTable(source, options);
  const records: TableRecord[] = [];
  for await (const record of table.records) records.push(record);
  return { table, records, rows: records.filter((r) => r.kind === 'row').length, errors: records.filter((r) => r.kind === 'error') };
}

export async function readText(text: string, options?: ReadTableOptions): Promise<ReadResult> {
  return readAll([utf8(text)], options);
}
