/**
 * `pnpm bench:ingest` — file ingestion, two figures:
 *  1. memory: a generated CSV of BENCH_INGEST_MB megabytes (default 64; the acceptance size is
 *     2048) is uploaded to the raw tier and ingested; every worker's peak RSS (VmHWM) is reported
 *     against the 256 MB budget, with rows/s and MB/s;
 *  2. latency: BENCH_LATENCY_REPS times (default 20) a BENCH_LATENCY_ROWS-row CSV (default 10,000)
 *     is dropped in the raw bucket and announced with MinIO's webhook event; the time from the
 *     event to a DuckDB query (what `lake query` runs) that sees its rows is measured: median, p95.
 * Uses the local-directory store: s3rver takes no multipart uploads, so it holds no 2 GB object.
 * Results go to bench/out/ingest.{json,md}.
 */
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, getRun, openCatalog } from '@lake/catalog';
import { triggerPayload } from '@lake/contracts';
import { LakeQuery } from '@lake/query';
import { LakeQueues } from '@lake/queue';
import { createObjectStore, createStorageLayout, DEFAULT_BUCKETS } from '@lake/storage';
import { createTestDatabase, redisConnectionOptions, uniqueName } from '@lake/testing';
import { dropQueues } from './services.js';
import { WORKER_APPS, WorkerPool, type WorkerUsage } from './workers.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const outDir = join(benchDir, 'out');
const num = (name: string, dflt: number) => {
  const v = Number((process.env[name] ?? String(dflt)).replaceAll('_', ''));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SIZE_MB = num('BENCH_INGEST_MB', 64);
const REPS = num('BENCH_LATENCY_REPS', 20);
const LATENCY_ROWS = num('BENCH_LATENCY_ROWS', 10_000);
const DATASET = 'phenotype.bench_plot_heights';
/** Node flags for the workers only, space-separated (say `--max-old-space-size=128`). */
const workerNodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The contract the generated files follow: units in a header, `-0500` offsets, comma decimals in one column's text. */
const CONTRACT = `dataset: { name: bench_plot_heights, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot_name, observed_at] }
fields:
  - { name: plot_name, type: string, nullable: false, synonyms: [plot] }
  - { name: accession, type: string }
  - { name: rep, type: int32, minimum: 1, maximum: 8 }
  - { name: plant_height, type: float64, unit: m, synonyms: [PH], minimum: 0, maximum: 5 }
  - { name: observed_at, type: timestamp, nullable: false, synonyms: [timestamp] }
  - { name: collector, type: string, synonyms: [person] }
  - { name: notes, type: string }
`;
const HEADER = 'plot,accession,rep,Plant height (cm),timestamp,person,notes\n';

function row(i: number, run: number): string {
  const height = i % 997 === 0 ? 'NA' : (40 + ((i * 37) % 160) + (i % 10) / 10).toFixed(1);
  const rep = i % 5003 === 0 ? 'nine' : String(1 + (i % 4));
  const t = new Date(Date.UTC(2024, 4, 1) + ((run * 7919 + i) % 8_640_000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `r${run}_plot_${i},acc_${i % 211},${rep},${height},${t}-0500,observer_${i % 13},"note ${i % 17}, field ${i % 3}"\n`;
}

/** Writes a CSV of about `bytes` bytes (or `maxRows` rows), streaming; returns its row count. */
async function generate(path: string, bytes: number, run: number, maxRows = Number.POSITIVE_INFINITY): Promise<number> {
  const out = createWriteStream(path);
  let size = HEADER.length;
  out.write(HEADER);
  let rows = 0;
  let chunk = '';
  while (size < bytes && rows < maxRows) {
    const line = row(rows, run);
    chunk += line;
    size += line.length;
    rows++;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return rows;
}

async function waitCommitted(catalog: Catalog, runId: string, pool: WorkerPool, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(catalog, runId);
    if (run?.status === 'committed') return run;
    if (run?.status === 'failed') throw new Error(`run ${runId} failed in ${run.error?.stage}: ${run.error?.message}`);
    const broken = pool.failure();
    if (broken) throw new Error(broken);
    if (Date.now() > end) throw new Error(`run ${runId} not committed after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
};

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'lake-bench-ingest-'));
  const schemas = join(tmp, 'schemas');
  await cp(join(repoRoot, 'schemas'), schemas, { recursive: true });
  await writeFile(join(schemas, 'phenotype', 'bench_plot_heights.yaml'), CONTRACT);
  const catalogDb = await createTestDatabase('bench_ingest');
  const redis = redisConnectionOptions();
  const prefix = uniqueName('bingest');
  const storeDir = join(tmp, 'store');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    LAKE_SCHEDULES: 'false',
    LAKE_CATALOG_URL: catalogDb.url,
    LAKE_SCHEMAS_DIR: schemas,
    LAKE_QUEUE_PREFIX: prefix,
    LAKE_TMP_DIR: join(tmp, 'work'),
    LAKE_STORE: 'local',
    LAKE_STORE_DIR: storeDir,
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
  };
  const store = createObjectStore({ kind: 'local', root: storeDir, buckets: DEFAULT_BUCKETS });
  await store.ensureBuckets();
  const layout = createStorageLayout(DEFAULT_BUCKETS);
  const catalog = openCatalog({ url: catalogDb.url, poolSize: 2 });
  const queues = new LakeQueues({ host: redis.host, port: redis.port, prefix });
  const logDir = join(outDir, 'logs', 'ingest');
  await mkdir(logDir, { recursive: true });
  let pool: WorkerPool | undefined;
  try {
    pool = await WorkerPool.start({ repoRoot, env, logDir, nodeArgs: workerNodeArgs, apps: [...WORKER_APPS, 'ingest-events'] });
    await catalog.migrate();
    pool.startSampling();

    // 1. memory over a large file
    const big = join(tmp, 'big.csv');
    log(`generating ${SIZE_MB} MB CSV`);
    const rows = await generate(big, SIZE_MB * 2 ** 20, 0);
    const bytes = (await stat(big)).size;
    const key = layout.rawKey('phenotype', 'bench_plot_heights', 'bulk', 'big.csv');
    const put = await store.putFile(key, big);
    await rm(big);
    log(`uploaded ${rows.toLocaleString('en-US')} rows, ${(bytes / 2 ** 20).toFixed(0)} MB; ingesting`);
    const t0 = performance.now();
    const trigger = triggerPayload.parse({ dataset: DATASET, trigger: { kind: 'manual', key: 'bulk' }, requestedBy: 'bench', inputs: [{ bucket: key.bucket, path: key.path, etag: put.etag, size: put.size }] });
    const { runId } = await queues.triggerAndWait(trigger);
    const run = await waitCommitted(catalog, runId, pool, 6 * 3600_000);
    const seconds = (performance.now() - t0) / 1000;
    const loaded = Number(run.loaded_rows);
    const quarantined = Number(run.quarantined_rows);
    if (Number(run.source_rows) !== rows || loaded + quarantined !== rows) throw new Error(`rows: generated ${rows}, source ${run.source_rows}, loaded ${loaded} + quarantined ${quarantined}`);
    log(`ingested in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${(bytes / 2 ** 20 / seconds).toFixed(1)} MB/s; loaded ${loaded}, quarantined ${quarantined}`);
    let expected = loaded;

    // 2. event → queryable latency
    const port = pool.port('ingest-events');
    const latencies: number[] = [];
    for (let rep = 1; rep <= REPS; rep++) {
      const file = join(tmp, `drop-${rep}.csv`);
      const n = await generate(file, Number.POSITIVE_INFINITY, rep, LATENCY_ROWS);
      const k = layout.rawKey('phenotype', 'bench_plot_heights', 'drops', `drop-${rep}.csv`);
      const p = await store.putFile(k, file);
      await rm(file);
      const event = { EventName: 's3:ObjectCreated:Put', Key: `${k.bucket}/${k.path}`, Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: k.bucket }, object: { key: k.path, eTag: p.etag, size: p.size } } }] };
      const start = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', body: JSON.stringify(event) });
      if (!res.ok) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      // What `lake query` does for each question: resolve current versions, read their Parquet.
      const want = expected;
      for (;;) {
        const q = await LakeQuery.open({ catalog, store, layout, cacheDir: join(tmp, 'cache') });
        try {
          const r = await q.query(`SELECT count(*) AS n FROM ${DATASET}`);
          const got = Number(r.rows[0]?.n ?? 0);
          if (got > want) {
            expected = got;
            break;
          }
        } catch {
          // no version yet
        } finally {
          q.close();
        }
        if (performance.now() - start > 120_000) throw new Error(`drop ${rep} not queryable after 120 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const ms = performance.now() - start;
      latencies.push(ms);
      log(`drop ${rep}: ${n} rows queryable after ${ms.toFixed(0)} ms`);
    }
    const workers: WorkerUsage[] = await pool.stop();
    pool = undefined;
    const report = {
      startedAt: new Date().toISOString(),
      command: `${workerNodeArgs.length ? `BENCH_WORKER_NODE_ARGS='${workerNodeArgs.join(' ')}' ` : ''}BENCH_INGEST_MB=${SIZE_MB} BENCH_LATENCY_REPS=${REPS} BENCH_LATENCY_ROWS=${LATENCY_ROWS} pnpm bench:ingest`,
      large: { megabytes: bytes / 2 ** 20, rows, seconds, rowsPerSecond: rows / seconds, loaded, quarantined },
      latency: { reps: REPS, rows: LATENCY_ROWS, medianMs: quantile(latencies, 0.5), p95Ms: quantile(latencies, 0.95), allMs: latencies.map(Math.round) },
      workers: workers.map((w) => ({ app: w.app, idleRssMb: Math.round(w.idleRssMb), peakRssMb: Math.round(w.peakRssMb), withinBudget: w.peakRssMb <= 256 })),
    };
    const md = [
      `# File ingestion (${report.command})`,
      '',
      `Large file: ${report.large.megabytes.toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(report.large.rowsPerSecond).toLocaleString('en-US')} rows/s); loaded ${loaded}, quarantined ${quarantined}.`,
      '',
      `Event → queryable, ${REPS} drops of ${LATENCY_ROWS} rows: median ${report.latency.medianMs.toFixed(0)} ms, p95 ${report.latency.p95Ms.toFixed(0)} ms.`,
      '',
      '| worker | idle RSS MB | peak RSS MB | ≤ 256 MB |',
      '|---|---|---|---|',
      ...report.workers.map((w) => `| ${w.app} | ${w.idleRssMb} | ${w.peakRssMb} | ${w.withinBudget ? 'yes' : 'NO'} |`),
    ].join('\n');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(outDir, 'ingest.md'), `${md}\n`);
    console.log(`\n${md}`);
  } finally {
    await pool?.stop().catch(() => undefined);
    await dropQueues(queues);
    await catalog.close();
    await catalogDb.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
