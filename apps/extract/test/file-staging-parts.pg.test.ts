import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, openCatalog, registerContract, startRun } from '@lake/catalog';
import { type ExtractResult, parseContract } from '@lake/contracts';
import { createLogger } from '@lake/logging';
import { bufferSource, readParquetBatches } from '@lake/parquet';
import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import { type TestDatabase, createTestDatabase, uniqueName } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractProcessor } from '../src/processor.js';

const CONTRACT = parseContract(
  `
dataset: { name: heights, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot] }
fields:
  - { name: plot, type: string, nullable: false }
  - { name: height, type: float64 }
`,
  'inline',
);

describe('a large input is staged in parts of whole rows', () => {
  let dir: string;
  let catalogDb: TestDatabase;
  let catalog: Catalog;
  let store: ObjectStore;
  let layout: StorageLayout;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extract-parts-'));
    catalogDb = await createTestDatabase('catalog');
    catalog = openCatalog({ url: catalogDb.url });
    await catalog.migrate();
    store = createObjectStore({ kind: 'local', root: join(dir, 'store') });
    layout = createStorageLayout(store.buckets);
    await registerContract(catalog, CONTRACT);
  });
  afterAll(async () => {
    await catalog?.close();
    await catalogDb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function ingest(rows: number): Promise<{ result: ExtractResult; staged: Array<{ rows: number; lines: number[] }> }> {
    const csv = `plot,height\n${Array.from({ length: rows }, (_, i) => `p${i},${i / 10}\n`).join('')}`;
    const key = layout.rawKey('phenotype', 'heights', uniqueName('upload'), 'heights.csv');
    const put = await store.put(key, Buffer.from(csv));
    const run = await startRun(catalog, {
      dataset: 'phenotype.heights',
      trigger: { kind: 'manual', key: uniqueName('k') },
      requestedBy: 'test',
      full: false,
      allowBreaking: false,
      inputs: [{ bucket: key.bucket, path: key.path, etag: put.etag, size: put.size }],
    });
    const processor = createExtractProcessor({ catalog, store, layout, sourceUrl: 'postgres://unused', tmpDir: dir, log: createLogger('test', 'silent'), stagingFileRows: 1000 });
    const result = await processor(
      { runId: run.runId, dataset: 'phenotype.heights', contractHash: run.contractHash, version: run.version },
      { jobId: 'j', attempt: 1, lastAttempt: false, progress: async () => undefined, failpoint: async () => undefined },
    );
    const staged = [];
    for (const file of result.files) {
      const lines: number[] = [];
      for await (const batch of readParquetBatches(bufferSource(await store.getBytes(layout.parseKey(`${file.object.bucket}/${file.object.path}`))))) {
        lines.push(...(batch.columns.__line ?? []).map(Number));
      }
      staged.push({ rows: file.rows, lines });
    }
    // The run ends here: the next one may start.
    await catalog.db.updateTable('runs').set({ status: 'failed' }).where('id', '=', run.runId).execute();
    return { result, staged };
  }

  it('splits every stagingFileRows rows, keeps every line once and in order, and writes no empty part', async () => {
    for (const rows of [2500, 2000, 0]) {
      const { result, staged } = await ingest(rows);
      const expected = rows === 0 ? [0] : Array.from({ length: Math.ceil(rows / 1000) }, (_, i) => Math.min(1000, rows - i * 1000));
      expect(staged.map((s) => s.rows), `${rows} rows`).toEqual(expected);
      expect(result.sourceRows).toBe(rows);
      expect(staged.flatMap((s) => s.lines)).toEqual(Array.from({ length: rows }, (_, i) => i + 2));
      expect(new Set(result.files.map((f) => f.object.path)).size).toBe(result.files.length);
    }
  });
});
