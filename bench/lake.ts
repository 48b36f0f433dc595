import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, getRun, openCatalog, type RunRow, stageResult } from '@lake/catalog';
import { triggerPayload } from '@lake/contracts';
import { LakeQuery } from '@lake/query';
import { LakeQueues } from '@lake/queue';
import { createObjectStore, createStorageLayout, DEFAULT_BUCKETS } from '@lake/storage';
import { createTestDatabase, redisConnectionOptions, uniqueName } from '@lake/testing';
import { type S3Service, type SeededSource, benchWorkerEnv, dropQueues } from './services.js';
import { SourceCpu } from './source-cpu.js';
import { type RssSample, WorkerPool, type WorkerApp, type WorkerUsage } from './workers.js';

const DATASET = 'phenotype.observations';

export interface StageTiming {
  stage: WorkerApp;
  /** True when the stage recorded its own span in `lake.run_stages`; false when derived. */
  recorded: boolean;
  /** Seconds from the trigger to the stage's (last) start. */
  startS: number;
  seconds: number;
  attempts: number;
  /** Highest sampled VmRSS of the stage's own worker while the stage ran. */
  workerPeakRssMb: number;
  /** Wall seconds per phase, as the stage recorded them in its result (extract and transform). */
  phases?: Record<string, number>;
}

export interface LakeResult {
  runId: string;
  version: number;
  /** Trigger sent → run committed and catalogued (the run's `finished_at`, not when the bench's poll saw it). */
  seconds: number;
  /** Trigger sent → the bench's poll saw the run finished: `seconds` plus up to one poll interval. */
  observedSeconds: number;
  rowsPerSecond: number;
  loadedRows: number;
  quarantinedRows: number;
  /** `count(*)` of the committed version through LakeQuery (DuckDB over its Parquet files). */
  queriedRows: number;
  stagingBytes: number;
  /** Normalized Parquet of the committed version. */
  outputBytes: number;
  quarantineBytes: number;
  outputFiles: number;
  stages: StageTiming[];
  workers: WorkerUsage[];
  /** CPU seconds of the bench process over the run: s3rver's requests (when in process) and the bench's polls. */
  benchCpuSeconds: number;
  /** CPU seconds of the source PostgreSQL's backends serving the extract over the run; undefined when PostgreSQL is not on this machine. */
  sourceCpuSeconds?: number;
  rssSamples: RssSample[];
}

interface FileRef {
  bytes: number;
}

/**
 * One full lake run against a fresh catalog database and queue prefix: starts the five workers,
 * triggers `phenotype.observations`, waits for the commit, checks every source row is either
 * loaded or quarantined, and collects stage timings and each worker's memory and I/O.
 */
export async function runLake(opts: {
  source: SeededSource;
  rows: number;
  s3: S3Service;
  repoRoot: string;
  logDir: string;
  timeoutMs: number;
  /** Node flags for the workers only, e.g. a heap limit or `--cpu-prof`, to see where memory and time go. */
  workerNodeArgs?: string[];
  /** Environment variables for the workers beyond the bench's own (a setting compared, `BENCH_COMPARE`). */
  workerEnv?: Record<string, string>;
}): Promise<LakeResult> {
  const catalogDb = await createTestDatabase('bench_catalog');
  const tmp = await mkdtemp(join(tmpdir(), 'lake-bench-'));
  const redis = redisConnectionOptions();
  const prefix = uniqueName('bench');
  const env = { ...benchWorkerEnv({ s3: opts.s3, catalogUrl: catalogDb.url, repoRoot: opts.repoRoot, prefix, tmp, source: opts.source }), ...opts.workerEnv };
  const catalog = openCatalog({ url: catalogDb.url, poolSize: 2 });
  const queues = new LakeQueues({ host: redis.host, port: redis.port, prefix });
  let pool: WorkerPool | undefined;
  let sourceCpu: SourceCpu | undefined;
  try {
    pool = await WorkerPool.start({ repoRoot: opts.repoRoot, env, logDir: opts.logDir, nodeArgs: opts.workerNodeArgs ?? [] });
    await catalog.migrate();
    pool.startSampling();
    sourceCpu = await SourceCpu.start({ adminUrl: opts.source.adminUrl, database: opts.source.database, role: opts.source.extractRole });
    const cpuAtStart = process.cpuUsage();
    const started = Date.now();
    const t0 = performance.now();
    // Parsed, so fields the payload gains with defaults are filled as any trigger's would be.
    const trigger = triggerPayload.parse({ dataset: DATASET, trigger: { kind: 'manual', key: prefix }, requestedBy: 'bench', full: true });
    const { runId } = await queues.triggerAndWait(trigger);
    const run = await waitForCommit(catalog, runId, pool, opts.timeoutMs);
    const observedSeconds = (performance.now() - t0) / 1000;
    // The catalog stage's own end, on the machine's clock like `started`: the poll's interval
    // (100 ms) would add half of itself to every run on average.
    const seconds = ((run.finished_at as Date).getTime() - started) / 1000;
    const benchCpu = process.cpuUsage(cpuAtStart);
    const sourceCpuSeconds = await sourceCpu.stop();
    const workers = await pool.stop();
    const stages = await stageTimings(catalog, run, started, pool.samples);

    const loadedRows = Number(run.loaded_rows);
    const quarantinedRows = Number(run.quarantined_rows);
    const queriedRows = await countCommitted(catalog, opts.s3, join(tmp, 'cache'));
    if (Number(run.source_rows) !== opts.rows || loadedRows + quarantinedRows !== opts.rows || queriedRows !== loadedRows) {
      throw new Error(
        `row counts do not add up: seeded ${opts.rows}, extracted ${run.source_rows}, loaded ${loadedRows} + quarantined ${quarantinedRows}, ` +
          `count(*) of v${run.version} ${queriedRows}`,
      );
    }
    const extracted = await stageResult<{ files: FileRef[] }>(catalog, runId, 'extract');
    const sum = (files: FileRef[] | undefined) => (files ?? []).reduce((n, f) => n + f.bytes, 0);
    // A full run: its version holds exactly the files it wrote.
    const written = async (dataset: string) =>
      catalog.db.selectFrom('versions').select(['byte_size', 'file_count']).where('dataset_id', '=', dataset).where('version', '=', run.version).executeTakeFirstOrThrow();
    const [data, quarantine] = [await written(DATASET), await written(`${DATASET}_quarantine`)];
    return {
      runId,
      version: run.version,
      seconds,
      observedSeconds,
      rowsPerSecond: opts.rows / seconds,
      loadedRows,
      quarantinedRows,
      queriedRows,
      stagingBytes: sum(extracted?.files),
      outputBytes: Number(data.byte_size),
      quarantineBytes: Number(quarantine.byte_size),
      outputFiles: data.file_count,
      stages,
      workers,
      benchCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
      ...(sourceCpuSeconds !== undefined ? { sourceCpuSeconds } : {}),
      rssSamples: pool.samples,
    };
  } finally {
    // A run that failed leaves the sampler running: stop it (a second stop gives the first's answer).
    await sourceCpu?.stop().catch(() => undefined);
    await pool?.stop();
    await dropQueues(queues);
    await catalog.close();
    await catalogDb.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Polls the catalog until the run is committed and catalogued; throws when it fails or a worker dies. */
async function waitForCommit(catalog: Catalog, runId: string, pool: WorkerPool, timeoutMs: number): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = pool.failure();
    if (dead) throw new Error(`run ${runId}: ${dead}`);
    const run = await getRun(catalog, runId);
    if (run?.status === 'failed') {
      // The run's own error often only says a child job failed; the stage rows say why.
      const stages = await catalog.db.selectFrom('run_stages').select(['stage', 'status', 'attempts', 'error']).where('run_id', '=', runId).execute();
      const detail = stages.map((s) => `${s.stage}: ${s.status} after ${s.attempts} attempt(s)${s.error ? ` — ${s.error}` : ''}`).join('; ');
      throw new Error(`run ${runId} failed in ${run.error?.stage}: ${run.error?.message} [${detail}]`);
    }
    if (run?.status === 'committed' && run.finished_at !== null) return run;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`run ${runId} did not commit within ${timeoutMs / 1000} s`);
}

/**
 * Each stage's span. Extract and transform record theirs in `lake.run_stages`; load and catalog
 * do not, so their spans are derived: load ends at the version's `committed_at`, catalog at the
 * run's `finished_at`, each starting where the previous stage ended (queue hand-off included).
 * The scheduler span is trigger → extract start.
 */
async function stageTimings(catalog: Catalog, run: RunRow, startedMs: number, samples: RssSample[]): Promise<StageTiming[]> {
  const recorded = await catalog.db
    .selectFrom('run_stages')
    .select(['stage', 'started_at', 'finished_at', 'attempts', 'result'])
    .where('run_id', '=', run.id)
    .orderBy('started_at')
    .execute();
  const committed = await catalog.db
    .selectFrom('versions')
    .select('committed_at')
    .where('dataset_id', '=', run.dataset_id)
    .where('version', '=', run.version)
    .executeTakeFirstOrThrow();
  const spans: Array<{ stage: WorkerApp; from: Date; to: Date; attempts: number; recorded: boolean; phases?: Record<string, number> }> = [];
  let previous = new Date(startedMs);
  const add = (stage: WorkerApp, from: Date, to: Date | null, attempts: number, isRecorded: boolean, phases?: Record<string, number>) => {
    const end = to ?? new Date();
    spans.push({ stage, from, to: end, attempts, recorded: isRecorded, ...(phases ? { phases } : {}) });
    previous = end;
  };
  const first = recorded[0];
  if (first) add('scheduler', previous, first.started_at, 1, false);
  for (const r of recorded) {
    const phases = (r.result as { phaseSeconds?: Record<string, number> } | null)?.phaseSeconds;
    add(r.stage as WorkerApp, r.started_at, r.finished_at, r.attempts, true, phases);
  }
  add('load', previous, committed.committed_at, 1, false);
  add('catalog', previous, run.finished_at, 1, false);
  return spans.map((s) => {
    const startS = (s.from.getTime() - startedMs) / 1000;
    const endS = (s.to.getTime() - startedMs) / 1000;
    const during = samples.filter((x) => x.t >= startS && x.t <= endS).map((x) => x.rssMb[s.stage] ?? 0);
    return { stage: s.stage, recorded: s.recorded, startS, seconds: endS - startS, attempts: s.attempts, workerPeakRssMb: Math.max(0, ...during), ...(s.phases ? { phases: s.phases } : {}) };
  });
}

/** `count(*)` of the current version, read the way users read it: LakeQuery over the Parquet files. */
async function countCommitted(catalog: Catalog, s3: S3Service, cacheDir: string): Promise<number> {
  const store = createObjectStore({
    kind: 's3',
    endpoint: s3.env.MINIO_ENDPOINT as string,
    useSSL: s3.env.MINIO_USE_SSL === 'true',
    accessKey: s3.env.MINIO_ROOT_USER as string,
    secretKey: s3.env.MINIO_ROOT_PASSWORD as string,
    buckets: DEFAULT_BUCKETS,
  });
  const query = await LakeQuery.open({ catalog, store, layout: createStorageLayout(store.buckets), cacheDir });
  try {
    const { rows } = await query.query(`SELECT count(*) AS n FROM ${DATASET}`);
    return Number(rows[0]?.n);
  } finally {
    query.close();
  }
}
