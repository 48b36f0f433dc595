import { type DataFile, type RunEvent, parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Catalog,
  CommitRefusedError,
  commitVersion,
  failRun,
  listVersions,
  openCatalog,
  parseVersionSelector,
  registerContract,
  resolveVersion,
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
});
