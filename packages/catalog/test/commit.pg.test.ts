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
  deltaBaseVersion,
  versionFiles,
  versionLayers,
  versionTotals,
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

  it('commits delta layers: base files kept, rows less the superseded keys, layers in order, the row check against the snapshot', async () => {
    const layered = parseContract(
      `
dataset: { name: layered, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: layered, key: [id], incremental: rows }
fields: [ { name: layered_id, type: int32, source: id } ]
`,
      'inline',
    );
    await registerContract(catalog, layered);
    const at = (dataset: string, v: number, name: string, rows: number, extra: Partial<DataFile> = {}): DataFile => ({
      object: { bucket: dataset.endsWith('_quarantine') ? 'bijmantra-quarantine' : 'bijmantra-normalized', path: `phenotype/${dataset}/v${v}/${name}` },
      partition: [],
      rows,
      bytes: rows,
      columnStats: extra.role ? {} : { layered_id: { nullCount: 0, min: 1, max: rows } },
      ...extra,
    });
    const run = async (key: string, data: (v: number) => DataFile[], quarantine: (v: number) => DataFile[]) => {
      const r = await startRun(catalog, { ...trigger(key), dataset: 'phenotype.layered' });
      await beginStage(catalog, r.runId, 'transform');
      await recordRunFiles(catalog, r.runId, 'data', data(r.version));
      await recordRunFiles(catalog, r.runId, 'quarantine', quarantine(r.version));
      return r;
    };
    const commit = (r: Awaited<ReturnType<typeof run>>, extra: Partial<Parameters<typeof commitVersion>[1]>) =>
      commitVersion(catalog, {
        runId: r.runId,
        dataset: 'phenotype.layered',
        version: r.version,
        contractHash: r.contractHash,
        schemaVersion: '1.0.0',
        files: 'run-output',
        quarantine: { dataset: 'phenotype.layered_quarantine', files: 'run-output', byRule: [] },
        snapshot: { txids: '10:10:' },
        sourceRows: 0,
        lineage: lineage(r.runId),
        ...extra,
      });

    // A full version: 100 rows and 2 quarantined, with its key index.
    const full = await run('d1', (v) => [at('layered', v, 'part-00000.parquet', 100), at('layered', v, 'keys.parquet', 102, { role: 'keys' })], (v) => [at('layered_quarantine', v, 'part-00000.parquet', 2)]);
    expect(await commit(full, { expectRows: 102 })).toMatchObject({ rows: 100 });
    expect(await deltaBaseVersion(catalog, 'phenotype.layered', full.contractHash)).toMatchObject({ version: full.version, layer: 0, keys: [{ layer: 0 }], deletes: [] });

    // Layer 1: 7 rows staged again (one quarantined), 5 loaded and 1 quarantined rows superseded.
    const layer = (n: number, v: number, loaded: number, keys: number, deletes: number): DataFile[] => [
      at('layered', v, `layer-${n}-part-00000.parquet`, loaded, { layer: n }),
      at('layered', v, `layer-${n}-keys.parquet`, keys, { role: 'keys', layer: n }),
      at('layered', v, `layer-${n}-deletes.parquet`, deletes, { role: 'deletes', layer: n, maskColumn: 'layered_id' }),
    ];
    const qDeletes = (n: number, v: number, rows: number) => at('layered_quarantine', v, `layer-${n}-deletes.parquet`, rows, { role: 'deletes', layer: n, maskColumn: 'row_key.id' });
    const d1 = await run('d2', (v) => layer(1, v, 6, 7, 5), (v) => [at('layered_quarantine', v, 'layer-1-part-00000.parquet', 1, { layer: 1 }), qDeletes(1, v, 1)]);
    const delta = { baseVersion: full.version, mode: 'incremental' as const, reuse: 'all' as const };
    // 102 - 6 superseded + 7 staged = 103 rows at the snapshot; 102 would not add up.
    await expect(commit(d1, { ...delta, expectRows: 102 })).rejects.toThrow(/version would hold 103 rows \(loaded \+ quarantined\) but the source snapshot has 102/);
    expect(await commit(d1, { ...delta, expectRows: 103 })).toMatchObject({ rows: 101, alreadyCommitted: false });
    const files = await versionFiles(catalog, 'phenotype.layered', d1.version);
    expect(files.map((f) => `${f.layer}:${f.role}:${f.path.split('/').slice(2).join('/')}`)).toEqual([
      `0:keys:v${full.version}/keys.parquet`,
      `0:rows:v${full.version}/part-00000.parquet`,
      `1:deletes:v${d1.version}/layer-1-deletes.parquet`,
      `1:keys:v${d1.version}/layer-1-keys.parquet`,
      `1:rows:v${d1.version}/layer-1-part-00000.parquet`,
    ]);
    expect(files.find((f) => f.role === 'deletes')?.mask_column).toBe('layered_id');
    expect(versionLayers(files).map((l) => [l.layer, l.files.length, l.maskedBy.map((d) => d.layer)])).toEqual([
      [0, 1, [1]],
      [1, 1, []],
    ]);
    expect(await resolveVersion(catalog, 'phenotype.layered', { kind: 'number', version: d1.version })).toMatchObject({ row_count: '101', file_count: 5 });
    expect(await resolveVersion(catalog, 'phenotype.layered_quarantine', { kind: 'number', version: d1.version })).toMatchObject({ row_count: '2' });
    // Column statistics come from the rows' files only.
    expect((await versionTotals(catalog.db, 'phenotype.layered', d1.version)).columns).toEqual({ layered_id: { nullCount: 0, min: 1, max: 100 } });

    // Layer 2 masks layers 0 and 1; the next delta builds on two layers.
    const d2 = await run('d3', (v) => layer(2, v, 3, 3, 3), () => []);
    expect(await commit(d2, { ...delta, baseVersion: d1.version, expectRows: 103 })).toMatchObject({ rows: 101 });
    const base = await deltaBaseVersion(catalog, 'phenotype.layered', full.contractHash);
    expect(base).toMatchObject({ version: d2.version, layer: 2 });
    expect(base?.keys.map((k) => k.layer)).toEqual([0, 1, 2]);
    expect(base?.deletes.map((d) => `${d.layer}:${d.mask_column}`).sort()).toEqual(['1:layered_id', '1:row_key.id', '2:layered_id']);
    expect(versionLayers(await versionFiles(catalog, 'phenotype.layered', d2.version)).map((l) => l.maskedBy.map((d) => d.layer))).toEqual([[1, 2], [2], []]);
  });
});
