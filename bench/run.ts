/**
 * `pnpm bench [--rows 1000000,5000000] [--orgs 8] [--repeat 3]` (or BENCH_ROWS / BENCH_ORGS /
 * BENCH_REPEAT; BENCH_WORKER_NODE_ARGS passes Node flags to the workers only; BENCH_SCHEMAS_DIR
 * reads contracts from another directory; BENCH_COMPARE='NAME=value …' adds to each repetition a
 * lake run whose workers get those variables, to compare a setting on the same data within the
 * same minutes, the two runs' order alternating): for each size, seeds a fresh source database, then
 * `repeat` times runs the COPY → DuckDB baseline and the lake ETL end to end against a fresh
 * s3rver, one after the other on the same data, and reports the medians' throughput and ratio,
 * every repetition, per-stage timings and each worker's peak RSS (the highest of all
 * repetitions). Results go to bench/out/results.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BaselineResult, runBaseline } from './baseline.js';
import { type LakeResult, runLake } from './lake.js';
import { type BenchReport, medianRun, type SizeResult, sizeLabel, summarizeSize, toMarkdown, writeReport } from './report.js';
import { seedSource, startS3 } from './services.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
const outDir = join(benchDir, 'out');

const { values } = parseArgs({
  allowPositionals: true,
  options: { rows: { type: 'string' }, orgs: { type: 'string' }, repeat: { type: 'string' }, timeout: { type: 'string' } },
});
function positiveInts(name: string, text: string): number[] {
  const list = text.split(',').map((v) => Number(v.trim().replaceAll('_', '')));
  if (list.length === 0 || list.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`${name} must be positive whole numbers, got "${text}"`);
  return list;
}
const sizes = positiveInts('--rows / BENCH_ROWS', values.rows ?? process.env.BENCH_ROWS ?? '1000000,5000000');
// 8 organizations keep each per-organization staging file well under s3rver's 64 MiB limit at 5M rows.
const [orgs = 8] = positiveInts('--orgs / BENCH_ORGS', values.orgs ?? process.env.BENCH_ORGS ?? '8');
// Each size's baseline and lake run alternate this many times: on a shared two-core machine one
// run of either can be 30% off, and the medians of interleaved runs see the same hours.
const [repeat = 3] = positiveInts('--repeat / BENCH_REPEAT', values.repeat ?? process.env.BENCH_REPEAT ?? '3');
const [timeoutS = 3600] = positiveInts('--timeout', values.timeout ?? process.env.BENCH_TIMEOUT_S ?? '3600');
/** Extra Node flags for the five workers only, space-separated (say `--cpu-prof`); they follow the workers' own flags. */
const workerNodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const compareEnv = compareVariables(process.env.BENCH_COMPARE ?? '');

/** `NAME=value …` as variables; throws on anything else. */
function compareVariables(text: string): Record<string, string> | undefined {
  const pairs = text.split(' ').filter(Boolean);
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new Error(`BENCH_COMPARE: "${pair}" is not NAME=value`);
      return [match[1] as string, match[2] as string];
    }),
  );
}

const log = (label: string, msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${label.padStart(5)}  ${msg}`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

async function benchSize(rows: number): Promise<SizeResult> {
  const label = sizeLabel(rows);
  log(label, `seeding ${int(rows)} observations, ${orgs} organizations`);
  const source = await seedSource(rows, orgs);
  try {
    log(label, `seeded ${source.database} in ${source.seedSeconds.toFixed(1)} s; ${repeat} × (baseline, lake run)`);
    const lakes: LakeResult[] = [];
    /** The runs with BENCH_COMPARE's variables, one per repetition. */
    const compared: LakeResult[] = [];
    const baselines: BaselineResult[] = [];
    for (let i = 1; i <= repeat; i++) {
      const tag = repeat > 1 ? `${label}#${i}` : label;
      const baseline = await runBaseline({ adminUrl: source.adminUrl, rows });
      baselines.push(baseline);
      log(tag, `baseline: csv ${baseline.csvSeconds.toFixed(1)} s + parquet ${baseline.parquetSeconds.toFixed(1)} s, ${int(baseline.rowsPerSecond)} rows/s; peak RSS ${baseline.peakRssMb.toFixed(0)} MB`);
      const lakeRun = async (workerEnv?: Record<string, string>) => {
        // A fresh s3rver per lake run: every run commits v1 of the same dataset, and versions are never overwritten.
        const s3 = await startS3();
        try {
          const logDir = join(outDir, 'logs', repeat > 1 ? join(label, String(i)) : label, workerEnv ? 'compare' : '');
          await mkdir(logDir, { recursive: true });
          const lake = await runLake({ source, rows, s3, repoRoot, logDir, timeoutMs: timeoutS * 1000, workerNodeArgs, ...(workerEnv ? { workerEnv } : {}) });
          const what = workerEnv ? `lake with ${process.env.BENCH_COMPARE}` : `lake (${s3.kind})`;
          const peaks = lake.workers.map((w) => `${w.app} ${w.peakRssMb.toFixed(0)}`).join(', ');
          log(tag, `${what}: ${lake.seconds.toFixed(1)} s, ${int(lake.rowsPerSecond)} rows/s; loaded ${int(lake.loadedRows)} + quarantined ${int(lake.quarantinedRows)}; peak RSS MB: ${peaks}`);
          log(tag, `stages (start + seconds): ${lake.stages.map((s) => `${s.stage} ${s.startS.toFixed(1)} + ${s.seconds.toFixed(1)} s`).join(', ')}`);
          // CPU within the run: on a machine whose speed drifts, what a setting saves shows here before it shows in seconds.
          const cpu = [...lake.workers.map((w) => `${w.app} ${w.runCpuSeconds.toFixed(1)}`), ...(lake.sourceCpuSeconds !== undefined ? [`PostgreSQL ${lake.sourceCpuSeconds.toFixed(1)}`] : []), `bench ${lake.benchCpuSeconds.toFixed(1)}`];
          log(tag, `CPU s in the run: ${cpu.join(', ')}`);
          return lake;
        } finally {
          await s3.stop();
        }
      };
      // The compared run goes first every other repetition.
      const compareFirst = compareEnv !== undefined && i % 2 === 0;
      const before = compareFirst ? await lakeRun(compareEnv) : undefined;
      const lake = await lakeRun();
      lakes.push(lake);
      const other = before ?? (compareEnv ? await lakeRun(compareEnv) : undefined);
      if (other) compared.push(other);
    }
    if (compared.length > 0) {
      const [a, b] = [medianRun(lakes).seconds, medianRun(compared).seconds];
      const pairs = compared.map((c, k) => `${(lakes[k] as LakeResult).seconds.toFixed(2)} / ${c.seconds.toFixed(2)}`);
      log(label, `compare ${process.env.BENCH_COMPARE}: lake ${a.toFixed(2)} s, with it ${b.toFixed(2)} s (medians; with/without ${(b / a).toFixed(3)}; each pair: ${pairs.join(', ')})`);
    }
    const result = summarizeSize({ rows, orgs, seedSeconds: source.seedSeconds, lakes, baselines });
    log(label, `lake / baseline = ${result.ratio.toFixed(2)} (medians of ${repeat}; each pair: ${result.repetitions.map((r) => (r.baselineSeconds / r.lakeSeconds).toFixed(2)).join(', ')})`);
    return result;
  } finally {
    await source.drop();
  }
}

/** HEAD, marked `-dirty` when the working tree has changes (the numbers then belong to no commit). */
function gitCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '-dirty' : ''}`;
}

async function main(): Promise<void> {
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: `${process.env.BENCH_SCHEMAS_DIR ? `BENCH_SCHEMAS_DIR=${process.env.BENCH_SCHEMAS_DIR} ` : ''}${workerNodeArgs.length ? `BENCH_WORKER_NODE_ARGS='${workerNodeArgs.join(' ')}' ` : ''}pnpm bench --rows ${sizes.join(',')} --orgs ${orgs} --repeat ${repeat}`,
    machine: {
      cpus: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
      s3: process.env.MINIO_ENDPOINT ? `external (${process.env.MINIO_ENDPOINT})` : 's3rver 3.7.1 (in the bench process)',
      commit: gitCommit(),
    },
    sizes: [],
  };
  for (const rows of sizes) report.sizes.push(await benchSize(rows));
  console.log(`\n${toMarkdown(report)}`);
  const files = await writeReport(report, outDir);
  console.log(`written: ${files.join(', ')}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
