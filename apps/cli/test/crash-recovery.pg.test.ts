import { getRun, listVersions, resolveVersion, versionFiles } from '@lake/catalog';
import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import { testS3Env } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeHarness, type WorkerApp } from './lake-harness.js';

const FAILPOINTS: Array<[WorkerApp, string]> = [
  ['scheduler', 'after-start-run'],
  ['extract', 'after-first-file'],
  ['transform', 'after-publish'],
  ['load', 'after-commit'],
  ['catalog', 'after-metadata'],
];

describe('a worker SIGKILLed in the middle of a run (PostgreSQL, Redis, S3)', () => {
  let lake: LakeHarness;
  let store: ObjectStore;
  let layout: StorageLayout;
  beforeAll(async () => {
    lake = await LakeHarness.create({ rows: 20_000, orgs: 3 });
    store = createObjectStore({ kind: 's3', ...testS3Env(), buckets: lake.buckets });
    layout = createStorageLayout(store.buckets);
    lake.startAll();
  });
  afterAll(async () => {
    await lake?.destroy();
  });

  /**
   * A reader's view, checked continuously while the run is killed and recovers: the current
   * version is always a committed one whose every file is in the store with its row count.
   */
  async function watchReaders(stop: () => boolean): Promise<number[]> {
    const seen = new Set<number>();
    while (!stop()) {
      const v = await resolveVersion(lake.catalog, 'phenotype.observations', { kind: 'current' });
      if (v) {
        seen.add(v.version);
        const files = await versionFiles(lake.catalog, 'phenotype.observations', v.version);
        // Its rows' files (the key index beside them lists keys, not rows).
        expect(files.filter((f) => f.role === 'rows').reduce((n, f) => n + Number(f.row_count), 0)).toBe(Number(v.row_count));
        for (const f of files) expect(await store.stat(layout.parseKey(`${f.bucket}/${f.path}`)), f.path).not.toBeNull();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return [...seen].sort((a, b) => a - b);
  }

  it.each(FAILPOINTS)('%s killed at %s: the run commits exactly once after restart', async (app, point) => {
    const before = await listVersions(lake.catalog, 'phenotype.observations');
    await lake.kill(app);
    lake.startWorker(app, { LAKE_FAILPOINTS: `${app}.${point}` });

    let done = false;
    const readers = watchReaders(() => done);
    const run = lake.cli(['run', 'phenotype.observations', '--full', '--key', `crash-${app}`]);
    await lake.waitForLog(app, `failpoint ${app}.${point} reached`);
    await lake.kill(app);
    lake.startWorker(app);
    const result = await run;
    done = true;
    const seen = await readers;

    expect(result.code, result.stdout + result.stderr).toBe(0);
    const runId = /run (run-[a-z0-9-]+)/.exec(result.stdout)?.[1] as string;
    const committed = await getRun(lake.catalog, runId);
    expect(committed?.status).toBe('committed');
    const after = await listVersions(lake.catalog, 'phenotype.observations');
    // Exactly one new version, from this run, above every earlier one.
    expect(after.length).toBe(before.length + 1);
    expect(after.filter((v) => v.run_id === runId)).toHaveLength(1);
    expect(after[0]?.version).toBeGreaterThan(before[0]?.version ?? 0);
    // Readers only ever saw the previous and the new committed versions.
    for (const v of seen) expect([before[0]?.version, after[0]?.version]).toContain(v);
    // Every source row once: loaded or quarantined, none twice from two starts of a stage.
    expect(Number(committed?.loaded_rows) + Number(committed?.quarantined_rows)).toBe(20_000);
    const stage = async (name: string) => lake.catalog.db.selectFrom('run_stages').select(['attempts', 'status']).where('run_id', '=', runId).where('stage', '=', name).executeTakeFirst();
    if (app === 'extract' || app === 'transform') expect(await stage(app)).toEqual({ attempts: 2, status: 'done' });
    // The transform had started on the first file the killed extract shared: it started over with
    // the extract's second start.
    if (app === 'extract') expect(await stage('transform')).toEqual({ attempts: 2, status: 'done' });
  });

  it('gc --dry-run lists the orphaned objects, gc removes them, and committed data stays readable', async () => {
    const dry = await lake.cli(['gc', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const listed = dry.stdout.split('\n').filter((l) => l.startsWith('would delete '));
    // Staging of every finished run, including the killed extract attempt's file.
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.some((l) => l.includes('/_staging/'))).toBe(true);
    const committedListed = listed.filter((l) => l.includes(`${lake.buckets.normalized}/phenotype/observations/v`));
    if (committedListed.length > 0) {
      // Say which runs and versions the catalog holds, so a failure here explains itself.
      const runs = await lake.catalog.db.selectFrom('runs').select(['id', 'version', 'status', 'trigger_key', 'error']).execute();
      const versions = await lake.catalog.db.selectFrom('versions').select(['dataset_id', 'version', 'run_id']).execute();
      const files = await lake.catalog.db.selectFrom('files').select(['dataset_id', 'version', 'path']).where('path', 'like', 'phenotype/observations/v1/%').limit(5).execute();
      expect(committedListed, JSON.stringify({ runs, versions, files, logs: lake.logs.get('load')?.slice(-20) }, null, 1)).toEqual([]);
    }

    const [before] = JSON.parse((await lake.cli(['query', 'SELECT count(*) AS n FROM phenotype.observations', '--format', 'json'])).stdout) as Array<{ n: string }>;
    const gc = await lake.cli(['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`${listed.length} orphaned object(s)`);
    for (const l of listed) {
      const key = l.replace('would delete ', '').replace(/ \(.*\)$/, '');
      expect(await store.exists(layout.parseKey(key)), key).toBe(false);
    }
    const again = await lake.cli(['gc', '--dry-run']);
    expect(again.stdout).toContain('dry run: 0 orphaned object(s)');
    const [after] = JSON.parse((await lake.cli(['query', 'SELECT count(*) AS n FROM phenotype.observations', '--format', 'json'])).stdout) as Array<{ n: string }>;
    expect(after?.n).toBe(before?.n);
    for (const v of await listVersions(lake.catalog, 'phenotype.observations')) {
      for (const f of await versionFiles(lake.catalog, 'phenotype.observations', v.version)) {
        expect(await store.exists(layout.parseKey(`${f.bucket}/${f.path}`))).toBe(true);
      }
    }
  });
});
