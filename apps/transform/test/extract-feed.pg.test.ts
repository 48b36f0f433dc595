import { type Catalog, beginStage, failRun, finishStage, openCatalog, registerContract, shareStageProgress, startRun } from '@lake/catalog';
import { type ExtractProgress, type ExtractResult, PermanentError, type StagedFile, parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractFeed, ExtractRestarted } from '../src/extract-feed.js';

const contract = parseContract(
  `
dataset: { name: feed_rows, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: feed_rows, key: [id] }
fields: [ { name: id, type: int32, nullable: false } ]
`,
  'inline',
);

const file = (attempt: number, i: number, rows = 100): StagedFile => ({
  object: { bucket: 'bijmantra-raw', path: `phenotype/_staging/r/feed_rows/part-a${attempt}-${i}.parquet` },
  partition: [],
  rows,
  bytes: 10 * rows,
});

const result = (files: StagedFile[]): ExtractResult => ({
  files,
  sourceRows: files.reduce((n, f) => n + f.rows, 0),
  snapshot: { xmin: '1', takenAt: new Date(0).toISOString() },
  organizations: [],
  mode: 'full',
  baseVersion: null,
  partitions: [],
  changed: [],
  appended: [],
  baseFiles: 'unchanged-partitions',
  conversions: [],
});

const progress = (files: StagedFile[]): ExtractProgress => ({ files, sourceRows: files.reduce((n, f) => n + f.rows, 0) });

describe('ExtractFeed: the transform reads the files a running extract shares (PostgreSQL catalog)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('extract_feed');
    catalog = openCatalog({ url: db.url, schema: 'lake' });
    await catalog.migrate();
    await registerContract(catalog, contract);
  });
  afterAll(async () => {
    await catalog?.close();
    await db?.drop();
  });

  let key = 0;
  /** A new run of the dataset (one runs at a time: the one before is stopped). */
  const newRun = async () => {
    const active = await catalog.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).execute();
    for (const r of active) await failRun(catalog, r.id, 'extract', 'stopped by the test');
    return (await startRun(catalog, { dataset: 'phenotype.feed_rows', trigger: { kind: 'manual', key: `k${++key}` }, requestedBy: 'test', full: true, allowBreaking: false })).runId;
  };
  /** Takes files from the feed until `n` arrived (or the feed ends or fails). */
  const take = async (files: AsyncGenerator<StagedFile>, n: number) => {
    const got: string[] = [];
    while (got.length < n) {
      const next = await files.next();
      if (next.done) break;
      got.push(next.value.object.path.split('/').pop() as string);
    }
    return got;
  };

  it('gives the files as the extract shares them, then the rest of its result, each once and in order', async () => {
    const runId = await newRun();
    const opened = ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 });
    const attempts = await beginStage(catalog, runId, 'extract');
    expect(attempts).toBe(1);
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
    const feed = await opened;
    expect(feed.result).toBeUndefined();
    expect(feed.stagedRows).toBe(100);
    const files = feed.files();
    expect(await take(files, 1)).toEqual(['part-a1-0.parquet']);
    // The next file arrives while the feed waits for it.
    const waiting = take(files, 2);
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0), file(1, 1)]));
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0), file(1, 1), file(1, 2)]));
    expect(await waiting).toEqual(['part-a1-1.parquet', 'part-a1-2.parquet']);
    const rest = take(files, 10);
    await finishStage(catalog, runId, 'extract', result([0, 1, 2, 3, 4].map((i) => file(1, i))));
    expect(await rest).toEqual(['part-a1-3.parquet', 'part-a1-4.parquet']);
    expect(feed.result?.sourceRows).toBe(500);
    expect(feed.stagedRows).toBe(500);
  });

  it('waits for the result of an extract that shares nothing (a delta), and of any extract without `stream` (files)', async () => {
    for (const stream of [true, false]) {
      const runId = await newRun();
      const attempts = await beginStage(catalog, runId, 'extract');
      let opened = false;
      const feed = ExtractFeed.open(catalog, runId, { stream, maxPauseMs: 20 }).then((f) => {
        opened = true;
        return f;
      });
      if (!stream) await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
      await new Promise((r) => setTimeout(r, 150));
      expect(opened).toBe(false);
      await finishStage(catalog, runId, 'extract', result([file(1, 0), file(1, 1)]));
      const f = await feed;
      expect(f.result?.files).toHaveLength(2);
      expect(await take(f.files(), 10)).toEqual(['part-a1-0.parquet', 'part-a1-1.parquet']);
    }
  });

  it('stops with ExtractRestarted when the extract starts over, withdraws a shared file or finishes with other files', async () => {
    // Started over: a new snapshot, new files.
    let runId = await newRun();
    let attempts = await beginStage(catalog, runId, 'extract');
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
    let files = (await ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 })).files();
    await take(files, 1);
    expect(await beginStage(catalog, runId, 'extract')).toBe(2);
    // A late write from the first start changes nothing.
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0), file(1, 1)]));
    await expect(take(files, 1)).rejects.toThrow(ExtractRestarted);
    // The new start's files are what a new feed gives.
    await shareStageProgress(catalog, runId, 'extract', 2, progress([file(2, 0)]));
    expect(await take((await ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 })).files(), 1)).toEqual(['part-a2-0.parquet']);

    // Withdrawn: a query staged through CSV went through binary COPY after all.
    runId = await newRun();
    attempts = await beginStage(catalog, runId, 'extract');
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0), file(1, 1)]));
    files = (await ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 })).files();
    await take(files, 2);
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
    await expect(take(files, 1)).rejects.toThrow(/withdrew files it had shared/);

    // Finished with other files than it shared.
    runId = await newRun();
    attempts = await beginStage(catalog, runId, 'extract');
    await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
    files = (await ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 })).files();
    await take(files, 1);
    await finishStage(catalog, runId, 'extract', result([file(1, 0, 99), file(1, 1)]));
    await expect(take(files, 1)).rejects.toThrow(/finished with other files/);
  });

  it('ends with a permanent error when the extract fails, keeping the extract\'s reason the run\'s', async () => {
    for (const when of ['before', 'while'] as const) {
      const runId = await newRun();
      const attempts = await beginStage(catalog, runId, 'extract');
      if (when === 'while') await shareStageProgress(catalog, runId, 'extract', attempts, progress([file(1, 0)]));
      const feed = ExtractFeed.open(catalog, runId, { stream: true, maxPauseMs: 20 });
      const files = when === 'while' ? (await feed).files() : undefined;
      if (files) await take(files, 1);
      await failRun(catalog, runId, 'extract', 'organization 3: the source is unreachable');
      const failure = files ? take(files, 1) : feed;
      await expect(failure).rejects.toThrow(PermanentError);
      await expect(failure).rejects.toThrow('child extract failed: organization 3: the source is unreachable');
      await failRun(catalog, runId, 'transform', 'child extract failed: organization 3: the source is unreachable');
      const run = await catalog.db.selectFrom('runs').select(['status', 'error']).where('id', '=', runId).executeTakeFirst();
      expect(run).toEqual({ status: 'failed', error: { stage: 'extract', message: 'organization 3: the source is unreachable' } });
    }
  });
});
