import { type DataFile, type FileTotals, type RunEvent, parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Catalog,
  CommitRefusedError,
  beginStage,
  commitVersion,
  failRun,
  finishStage,
  forEachRunFile,
  listVersions,
  openCatalog,
  parseVersionSelector,
  recordRunFiles,
  registerContract,
  resolveVersion,
  runFileCounts,
  stageOutline,
  startRun,
  versionFiles,
} from '../src/index.js';

const contract = parseContract(
  `
dataset: { name: things, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: things, key: [id] }
fields: [ { name: id, type: int32 } ]
`,
  'inline',
);

const file = (path: string, rows: number): DataFile => ({
  object: { bucket: 'bijmantra-normalized', path },
  partition: [['organization_id', '1']],
  rows,
  bytes: rows * 10,
  columnStats: { id: { nullCount: 0, min: 1, max: rows } },
});

const lineage = (runId: string): RunEvent => ({
  eventType: 'COMPLETE',
  eventTime: new Date().toISOString(),
  producer: 'p',
  schemaURL: 's',
  run: { runId },
  job: { namespace: 'n', name: 'phenotype.things' },
  inputs: [],
  outputs: [],
});

describe('catalog commit protocol (PostgreSQL)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('catalog');
    catalog = openCatalog({ url: db.url, schema: 'lake' });
    await Promise.all([catalog.migrate(), catalog.migrate(), catalog.migrate()]);
    await registerContract(catalog, contract);
  });
  afterAll(async () => {
    await catalog.close();
    await db.drop();
  });

  const trigger = (key: string) => ({ dataset: 'phenotype.things', trigger: { kind: 'manual' as const, key }, requestedBy: 'test', full: false, allowBreaking: false });

  it('maps the same trigger fired twice at once to one run, and a second trigger to the active run', async () => {
    const [a, b] = await Promise.all([startRun(catalog, trigger('k1')), startRun(catalog, trigger('k1'))]);
    expect(a.runId).toBe(b.runId);
    expect([a.deduplicated, b.deduplicated].sort()).toEqual([false, true]);
    const c = await startRun(catalog, trigger('k2'));
    expect(c.runId).toBe(a.runId);
    expect(c.deduplicated).toBe(true);

    const req = {
      runId: a.runId,
      dataset: 'phenotype.things',
      version: a.version,
      contractHash: a.contractHash,
      schemaVersion: '1.0.0',
      files: [file('phenotype/things/v1/organization_id=1/part-00000.parquet', 10)],
      snapshot: { xmin: '1' },
      sourceRows: 10,
      lineage: lineage(a.runId),
    };
    const [first, second] = await Promise.all([commitVersion(catalog, req), commitVersion(catalog, req)]);
    expect([first.alreadyCommitted, second.alreadyCommitted].sort()).toEqual([false, true]);
    expect(first.version).toBe(second.version);
    const versions = await listVersions(catalog, 'phenotype.things');
    expect(versions.map((v) => v.version)).toEqual([a.version]);
    expect(await versionFiles(catalog, 'phenotype.things', a.version)).toHaveLength(1);
  });

  it('leaves a gap for a failed run, refuses to commit it, and keeps versions strictly increasing', async () => {
    const failed = await startRun(catalog, trigger('k3'));
    await failRun(catalog, failed.runId, 'transform', 'boom');
    await expect(
      commitVersion(catalog, {
        runId: failed.runId,
        dataset: 'phenotype.things',
        version: failed.version,
        contractHash: failed.contractHash,
        schemaVersion: '1.0.0',
        files: [],
        snapshot: {},
        sourceRows: 0,
        lineage: lineage(failed.runId),
      }),
    ).rejects.toBeInstanceOf(CommitRefusedError);
    const next = await startRun(catalog, trigger('k4'));
    expect(next.version).toBe(failed.version + 1);
    await commitVersion(catalog, {
      runId: next.runId,
      dataset: 'phenotype.things',
      version: next.version,
      contractHash: next.contractHash,
      schemaVersion: '1.0.0',
      files: [file(`phenotype/things/v${next.version}/organization_id=1/part-00000.parquet`, 20)],
      snapshot: {},
      sourceRows: 20,
      lineage: lineage(next.runId),
    });
    const versions = await listVersions(catalog, 'phenotype.things');
    expect(versions.map((v) => v.version)).toEqual([next.version, 1]);
    expect((await resolveVersion(catalog, 'phenotype.things', parseVersionSelector(undefined)))?.version).toBe(next.version);
    expect((await resolveVersion(catalog, 'phenotype.things', parseVersionSelector('v1')))?.row_count).toBe('10');
    const before = new Date((versions[1] as { committed_at: Date }).committed_at.getTime() + 1);
    expect((await resolveVersion(catalog, 'phenotype.things', { kind: 'asOf', at: before }))?.version).toBe(1);
  });

  it('commits a run\'s own output as PostgreSQL reads it from the stage results: files, kept base files, totals and the row check', async () => {
    const stats = (min: number, max: number, nulls = 0) => ({ id: { nullCount: nulls, min, max }, name: { nullCount: 1, min: 'a', max: 'z' } });
    const part = (org: string, n: number, rows: number, columnStats = stats(1, rows)): DataFile => ({
      object: { bucket: 'bijmantra-normalized', path: `phenotype/things/v${n}/organization_id=${org}/part-00000.parquet` },
      partition: [['organization_id', org]],
      rows,
      bytes: rows * 10,
      columnStats,
    });
    const fingerprint = (org: string, rows: number, fp: string) => ({ key: `["${org}"]`, partition: [['organization_id', org]] as Array<[string, string]>, rows, fingerprint: fp });
    const stage = async (runId: string, extract: Record<string, unknown>, transform: { files: DataFile[]; quarantine: DataFile[] }) => {
      await beginStage(catalog, runId, 'extract');
      await finishStage(catalog, runId, 'extract', extract);
      await beginStage(catalog, runId, 'transform');
      await recordRunFiles(catalog, runId, 'data', transform.files);
      await recordRunFiles(catalog, runId, 'quarantine', transform.quarantine);
      await finishStage(catalog, runId, 'transform', { files: transform.files.length, quarantine: { files: transform.quarantine.length } });
    };
    const quarantined = (org: string, n: number, rows: number): DataFile => ({ ...part(org, n, rows), object: { bucket: 'bijmantra-quarantine', path: `phenotype/things_quarantine/v${n}/organization_id=${org}/part-00000.parquet` } });

    // A full version of three partitions, one quarantined row in the third.
    const full = await startRun(catalog, trigger('k5'));
    const v = full.version;
    await stage(
      full.runId,
      { partitions: [fingerprint('1', 10, 'a'), fingerprint('2', 20, 'b'), fingerprint('3', 31, 'c')], changed: ['["1"]', '["2"]', '["3"]'] },
      { files: [part('1', v, 10, stats(5, 50)), part('2', v, 20, stats(-7.5, 20, 2)), part('3', v, 30)], quarantine: [quarantined('3', v, 1)] },
    );
    const outline = await stageOutline<{ partitions: unknown[]; changed: string[] }>(catalog, full.runId, 'extract', [['partitions'], ['changed'], ['appended']]);
    expect(outline).toEqual({ result: { partitions: [], changed: [], appended: [] }, lengths: { partitions: 3, changed: 3, appended: 0 } });
    // A retried transform records the same keys again: replaced, not doubled.
    await recordRunFiles(catalog, full.runId, 'data', [part('2', v, 20, stats(-7.5, 20, 2))]);
    expect(await runFileCounts(catalog, full.runId)).toEqual({ data: 3, quarantine: 1 });
    const pages: string[][] = [];
    await forEachRunFile(catalog, full.runId, 2, async (page) => {
      pages.push(page.map((f) => `${f.object.bucket.split('-')[1]}/${f.partition[0]?.[1]}`));
    });
    expect(pages).toEqual([['normalized/1', 'normalized/2'], ['normalized/3'], ['quarantine/3']]);
    let totals: FileTotals | undefined;
    const request = (run: typeof full, extra: Partial<Parameters<typeof commitVersion>[1]> = {}) => ({
      runId: run.runId,
      dataset: 'phenotype.things',
      version: run.version,
      contractHash: run.contractHash,
      schemaVersion: '1.0.0',
      files: 'run-output' as const,
      quarantine: { dataset: 'phenotype.things_quarantine', files: 'run-output' as const, byRule: [{ column: 'id', rule: 'cast', rows: 1 }] },
      partitions: 'run-output' as const,
      snapshot: {},
      sourceRows: 61,
      lineage: (t: FileTotals) => {
        totals = t;
        return lineage(run.runId);
      },
      ...extra,
    });
    expect(await commitVersion(catalog, request(full))).toMatchObject({ rows: 60, alreadyCommitted: false });
    expect(totals).toEqual({ files: 3, rows: 60, bytes: 600, columns: { id: { nullCount: 2, min: -7.5, max: 50 }, name: { nullCount: 3 } } });
    expect((await versionFiles(catalog, 'phenotype.things_quarantine', v)).map((f) => f.row_count)).toEqual(['1']);
    expect((await resolveVersion(catalog, 'phenotype.things', { kind: 'number', version: v }))).toMatchObject({ row_count: '60', byte_size: '600', file_count: 3 });

    // Incremental: partition 2 changed, 3 unchanged, 1 deleted at the source, 4 new.
    const inc = await startRun(catalog, trigger('k6'));
    await stage(
      inc.runId,
      { partitions: [fingerprint('2', 25, 'b2'), fingerprint('3', 31, 'c'), fingerprint('4', 4, 'd')], changed: ['["2"]', '["4"]'] },
      { files: [part('2', inc.version, 25), part('4', inc.version, 4)], quarantine: [] },
    );
    const incremental = { baseVersion: v, mode: 'incremental' as const, reuse: 'unchanged-partitions' as const, sourceRows: 29 };
    await commitVersion(catalog, request(inc, incremental));
    const files = await versionFiles(catalog, 'phenotype.things', inc.version);
    expect(files.map((f) => `${f.partition[0]?.[1]}:${f.path.split('/')[2]}:${f.row_count}`).sort()).toEqual([`2:v${inc.version}:25`, `3:v${v}:30`, `4:v${inc.version}:4`]);
    expect((await versionFiles(catalog, 'phenotype.things_quarantine', inc.version)).map((f) => f.path)).toEqual([quarantined('3', v, 1).object.path]);
    expect(totals?.rows).toBe(59);

    // A version that would not hold every source row is refused, and nothing of it is published.
    const short = await startRun(catalog, trigger('k7'));
    await stage(short.runId, { partitions: [fingerprint('1', 10, 'x')], changed: ['["1"]'] }, { files: [part('1', short.version, 9)], quarantine: [] });
    await expect(commitVersion(catalog, request(short))).rejects.toThrow(/version would hold 9 rows \(loaded \+ quarantined\) but the source snapshot has 10/);
    expect((await resolveVersion(catalog, 'phenotype.things', parseVersionSelector(undefined)))?.version).toBe(inc.version);
    expect(await versionFiles(catalog, 'phenotype.things', short.version)).toEqual([]);
    expect(await runFileCounts(catalog, short.runId)).toEqual({ data: 1, quarantine: 0 });
    // A committed run's recorded files are now the version's: the run's list is gone.
    expect(await runFileCounts(catalog, inc.runId)).toEqual({ data: 0, quarantine: 0 });
  });
});
