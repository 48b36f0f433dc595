/**
 * Part of `pnpm bench`; alone: `pnpm --filter @lake/bench bench:incremental [--rows 5000000] [--orgs 8]` (or BENCH_INC_ROWS):
 * a full run of `phenotype.observations`, then 1 % of the observations changed (half updated, half
 * deleted) and an incremental run, in the same process and against the same catalog and store.
 * Two kinds of change are measured, each against its own fresh full run:
 *
 * - scattered: the changed rows are spread evenly over the table (every study is touched);
 * - clustered: the same number of rows, in as few studies as hold them (a study re-scored).
 *
 * Reports each incremental run's time and bytes written as a ratio of its full run's. Results go
 * to bench/out/incremental.{json,md}.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Catalog, getRun, openCatalog } from '@lake/catalog';
import { triggerPayload } from '@lake/contracts';
import { LakeQueues } from '@lake/queue';
import { createTestDatabase, redisConnectionOptions, uniqueName } from '@lake/testing';
import pg from 'pg';
import { type S3Service, type SeededSource, benchWorkerEnv, dropQueues, seedSource, startS3 } from './services.js';
import { WorkerPool } from './workers.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const outDir = join(benchDir, 'out');
const DATASET = 'phenotype.observations';

const { values } = parseArgs({ options: { rows: { type: 'string' }, orgs: { type: 'string' } } });
const rows = Number((values.rows ?? process.env.BENCH_INC_ROWS ?? '5000000').replaceAll('_', ''));
const orgs = Number(values.orgs ?? process.env.BENCH_ORGS ?? '8');
if (!Number.isSafeInteger(rows) || rows < 1000 || !Number.isSafeInteger(orgs) || orgs < 1) throw new Error('--rows must be ≥ 1000 and --orgs ≥ 1');

const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

interface RunFigures {
  version: number;
  seconds: number;
  /** The stages the catalog recorded: span and timed phases. */
  stages: string;
  /** Staging + normalized + quarantine bytes this run wrote (files it reused are not counted). */
  bytesWritten: number;
  changedPartitions: number;
  partitions: number;
  /** Rows the extract staged, and the keys a row-level delta superseded. */
  stagedRows: number;
  supersededRows: number;
}

interface Scenario {
  name: 'scattered' | 'clustered';
  changedRows: number;
  full: RunFigures;
  incremental: RunFigures;
  timeRatio: number;
  bytesRatio: number;
  /** Each worker's peak RSS over both runs (VmHWM), MB. */
  peakRssMb: Record<string, number>;
}

/** Runs the dataset once and waits for the commit; figures come from the catalog. */
async function runOnce(catalog: Catalog, queues: LakeQueues, full: boolean): Promise<RunFigures> {
  const t0 = performance.now();
  const trigger = triggerPayload.parse({ dataset: DATASET, trigger: { kind: 'manual', key: uniqueName('bench') }, requestedBy: 'bench', full });
  const { runId } = await queues.triggerAndWait(trigger, 120_000);
  for (;;) {
    const run = await getRun(catalog, runId);
    if (run?.status === 'failed') throw new Error(`run ${runId} failed in ${run.error?.stage}: ${run.error?.message}`);
    if (run?.status === 'committed' && run.finished_at !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  const run = await getRun(catalog, runId);
  const version = run?.version as number;
  const v = await catalog.db.selectFrom('versions').select(['snapshot']).where('dataset_id', '=', DATASET).where('version', '=', version).executeTakeFirstOrThrow();
  const snapshot = v.snapshot as { changedPartitions?: number; partitions?: number };
  // Files this version wrote live under its own v<N>/ prefix; reused files keep their old prefix.
  const written = await catalog.db
    .selectFrom('files')
    .select((eb) => eb.fn.sum<string>('byte_size').as('bytes'))
    .where('dataset_id', 'in', [DATASET, `${DATASET}_quarantine`])
    .where('version', '=', version)
    .where('path', 'like', `%/v${version}/%`)
    .executeTakeFirst();
  const staged = await catalog.db.selectFrom('run_stages').select('result').where('run_id', '=', runId).where('stage', '=', 'extract').executeTakeFirst();
  const extracted = staged?.result as { sourceRows?: number; files?: Array<{ bytes: number }>; delta?: { superseded: { bytes: number; rows: number } } } | null;
  // Staged rows, and a row-level delta's superseded keys.
  const stagingBytes = (extracted?.files ?? []).reduce((n, f) => n + f.bytes, 0) + (extracted?.delta?.superseded.bytes ?? 0);
  // Where the run's time went: each recorded stage's span and the phases it timed.
  const spans = await catalog.db.selectFrom('run_stages').select(['stage', 'result', 'started_at', 'finished_at']).where('run_id', '=', runId).orderBy('started_at').execute();
  const stages = spans
    .map((st) => {
      const secs = st.finished_at ? (new Date(st.finished_at).getTime() - new Date(st.started_at).getTime()) / 1000 : Number.NaN;
      const phases = Object.entries((st.result as { phaseSeconds?: Record<string, number> } | null)?.phaseSeconds ?? {}).map(([k, v]) => `${k} ${v.toFixed(1)}`);
      return `${st.stage} ${secs.toFixed(1)} s${phases.length ? ` (${phases.join(', ')})` : ''}`;
    })
    .join('; ');
  return {
    version,
    seconds,
    stages,
    bytesWritten: Number(written?.bytes ?? 0) + stagingBytes,
    changedPartitions: snapshot.changedPartitions ?? 0,
    partitions: snapshot.partitions ?? 0,
    stagedRows: extracted?.sourceRows ?? 0,
    supersededRows: extracted?.delta?.superseded.rows ?? 0,
  };
}

/** Changes 1 % of the observations: half updated (collector and updated_at), half deleted. */
async function change(adminUrl: string, how: Scenario['name']): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const target = Math.max(2, Math.round(rows * 0.01));
    let chosen: string;
    if (how === 'scattered') {
      chosen = `SELECT id FROM observations ORDER BY hashint4(id) LIMIT ${target}`;
    } else {
      // Whole studies, smallest first, until they hold the target number of rows.
      chosen = `WITH per AS (SELECT study_id, count(*) AS n, sum(count(*)) OVER (ORDER BY study_id) AS running FROM observations GROUP BY study_id)
                SELECT id FROM observations WHERE study_id IN (SELECT study_id FROM per WHERE running - n < ${target}) ORDER BY id LIMIT ${target}`;
    }
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE chosen ON COMMIT DROP AS ${chosen}`);
    const upd = await client.query(`UPDATE observations SET collector = coalesce(collector, '') || ' (checked)', updated_at = now() WHERE id IN (SELECT id FROM chosen WHERE id % 2 = 0)`);
    const del = await client.query('DELETE FROM observations WHERE id IN (SELECT id FROM chosen WHERE id % 2 = 1)');
    await client.query('COMMIT');
    return (upd.rowCount ?? 0) + (del.rowCount ?? 0);
  } finally {
    await client.end();
  }
}

async function scenario(name: Scenario['name'], source: SeededSource, s3: S3Service): Promise<Scenario> {
  const catalogDb = await createTestDatabase('bench_inc_catalog');
  const tmp = await mkdtemp(join(tmpdir(), 'lake-bench-inc-'));
  const logDir = join(outDir, 'logs', `incremental-${name}`);
  await mkdir(logDir, { recursive: true });
  const redis = redisConnectionOptions();
  const prefix = uniqueName('benchinc');
  const env = benchWorkerEnv({ s3, catalogUrl: catalogDb.url, repoRoot, prefix, tmp, source });
  const catalog = openCatalog({ url: catalogDb.url, poolSize: 2 });
  const queues = new LakeQueues({ host: redis.host, port: redis.port, prefix });
  let pool: WorkerPool | undefined;
  try {
    pool = await WorkerPool.start({ repoRoot, env, logDir, nodeArgs: [] });
    await catalog.migrate();
    log(`${name}: full run of ${int(rows)} observations`);
    const full = await runOnce(catalog, queues, true);
    log(`${name}: full v${full.version} in ${full.seconds.toFixed(1)} s, wrote ${mb(full.bytesWritten)}, ${full.partitions} partitions`);
    const changedRows = await change(source.adminUrl, name);
    log(`${name}: changed ${int(changedRows)} observations (half updated, half deleted)`);
    const incremental = await runOnce(catalog, queues, false);
    log(
      `${name}: incremental v${incremental.version} in ${incremental.seconds.toFixed(1)} s, wrote ${mb(incremental.bytesWritten)}, ` +
        `${int(incremental.stagedRows)} rows staged, ${int(incremental.supersededRows)} superseded; ${incremental.stages}`,
    );
    const usage = await pool.stop();
    pool = undefined;
    return {
      name,
      changedRows,
      full,
      incremental,
      timeRatio: incremental.seconds / full.seconds,
      bytesRatio: incremental.bytesWritten / full.bytesWritten,
      peakRssMb: Object.fromEntries(usage.map((u) => [u.app, Math.round(u.peakRssMb)])),
    };
  } finally {
    await pool?.stop();
    await dropQueues(queues);
    await catalog.close();
    await catalogDb.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

function toMarkdown(results: Scenario[]): string {
  const lines = [
    `Incremental runs of ${DATASET}, ${int(rows)} observations, ${orgs} organizations; 1 % changed (half updated, half deleted).`,
    '',
    '| change | rows changed | full s | incremental s | time ratio | full written | incremental written | bytes ratio | rows staged / superseded |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${int(r.changedRows)} | ${r.full.seconds.toFixed(1)} | ${r.incremental.seconds.toFixed(1)} | ${r.timeRatio.toFixed(3)} | ` +
        `${mb(r.full.bytesWritten)} | ${mb(r.incremental.bytesWritten)} | ${r.bytesRatio.toFixed(3)} | ${int(r.incremental.stagedRows)} / ${int(r.incremental.supersededRows)} |`,
    ),
    '',
    'Targets: time ratio ≤ 0.10 and bytes ratio ≤ 0.10.',
    '',
    `Peak RSS over both runs (MB): ${results.map((r) => `${r.name} ${Object.entries(r.peakRssMb).map(([app, mb]) => `${app} ${mb}`).join(', ')}`).join('; ')}.`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const results: Scenario[] = [];
  for (const name of ['clustered', 'scattered'] as const) {
    log(`seeding ${int(rows)} observations, ${orgs} organizations`);
    const source = await seedSource(rows, orgs);
    const s3 = await startS3();
    try {
      results.push(await scenario(name, source, s3));
    } finally {
      await s3.stop();
      await source.drop();
    }
  }
  const md = toMarkdown(results);
  console.log(`\n${md}`);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'incremental.json'), `${JSON.stringify({ rows, orgs, results }, null, 2)}\n`);
  await writeFile(join(outDir, 'incremental.md'), `${md}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`incremental bench FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
