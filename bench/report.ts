import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaselineResult } from './baseline.js';
import type { LakeResult } from './lake.js';
import { WORKER_APPS, type WorkerApp } from './workers.js';

/** One baseline run and the lake run after it, on the same seeded data. */
export interface Repetition {
  baselineSeconds: number;
  lakeSeconds: number;
  baselinePeakRssMb: number;
  workerPeakRssMb: Partial<Record<WorkerApp, number>>;
}

export interface SizeResult {
  rows: number;
  orgs: number;
  seedSeconds: number;
  /** The lake run of median time (the faster middle one of an even count): its stages and workers are reported. */
  lake: LakeResult;
  /** The baseline run of median time, chosen the same way. */
  baseline: BaselineResult;
  /** The median lake rows/s over the median baseline rows/s. */
  ratio: number;
  repetitions: Repetition[];
}

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: { cpus: number; memoryGb: number; node: string; s3: string; commit: string };
  sizes: SizeResult[];
}

/** Targets from the brief; a miss is reported, not fatal (only wrong row counts fail the bench). */
export const TARGETS = {
  ratio: 0.5,
  ratioGoal: 1.0,
  workerRssMb: 256,
  /** Peak RSS at the largest size over the smallest: memory must not grow with the data. */
  flatRatio: 1.25,
};

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits = 1) => n.toFixed(digits);
const mb = (bytes: number) => fixed(bytes / 1024 / 1024);
const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** 1000000 → "1M", 250000 → "250k". */
export function sizeLabel(rows: number): string {
  if (rows >= 1e6 && rows % 1e5 === 0) return `${rows / 1e6}M`;
  if (rows >= 1e3 && rows % 1e3 === 0) return `${rows / 1e3}k`;
  return String(rows);
}

/** The run of median `seconds`; of an even count, the faster of the two middle ones. */
export function medianRun<T extends { seconds: number }>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const run = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!run) throw new Error('no runs to take the median of');
  return run;
}

/**
 * One size's result from its repetitions (baseline `i` ran just before lake run `i`): the median
 * of each side, their ratio, and every repetition's times and peaks. Only the median lake run
 * keeps its RSS samples, so results.json stays small.
 */
export function summarizeSize(opts: { rows: number; orgs: number; seedSeconds: number; lakes: LakeResult[]; baselines: BaselineResult[] }): SizeResult {
  const { lakes, baselines } = opts;
  if (lakes.length === 0 || lakes.length !== baselines.length) throw new Error(`${lakes.length} lake runs and ${baselines.length} baseline runs: need as many of each, at least one`);
  const lake = medianRun(lakes);
  const baseline = medianRun(baselines);
  const repetitions = lakes.map((l, i) => ({
    baselineSeconds: baselines[i]?.seconds ?? Number.NaN,
    lakeSeconds: l.seconds,
    baselinePeakRssMb: baselines[i]?.peakRssMb ?? Number.NaN,
    workerPeakRssMb: Object.fromEntries(l.workers.map((w) => [w.app, w.peakRssMb])),
  }));
  for (const l of lakes) if (l !== lake) l.rssSamples = [];
  return { rows: opts.rows, orgs: opts.orgs, seedSeconds: opts.seedSeconds, lake, baseline, ratio: lake.rowsPerSecond / baseline.rowsPerSecond, repetitions };
}

/** A worker's highest peak RSS over a size's repetitions. */
function peakOf(size: SizeResult, app: WorkerApp): number | undefined {
  const peaks = size.repetitions.map((r) => r.workerPeakRssMb[app]).filter((p): p is number => p !== undefined);
  return peaks.length ? Math.max(...peaks) : undefined;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function throughputTable(sizes: SizeResult[]): string {
  return table(
    [
      'rows',
      'lake s',
      'lake rows/s',
      'baseline s (pg→csv + csv→parquet)',
      'baseline rows/s',
      'lake / baseline',
      'each repetition: baseline s, lake s (ratio)',
      'lake output MB (data + quarantine)',
      'baseline output MB (csv → parquet)',
    ],
    sizes.map(({ rows, lake, baseline, ratio, repetitions }) => {
      return [
        int(rows),
        fixed(lake.seconds),
        int(lake.rowsPerSecond),
        `${fixed(baseline.seconds)} (${fixed(baseline.csvSeconds)} + ${fixed(baseline.parquetSeconds)})`,
        int(baseline.rowsPerSecond),
        `${fixed(ratio, 2)} ${mark(ratio >= TARGETS.ratio)}${ratio >= TARGETS.ratioGoal ? ' (goal met)' : ''}`,
        repetitions.map((r) => `${fixed(r.baselineSeconds)}, ${fixed(r.lakeSeconds)} (${fixed(r.baselineSeconds / r.lakeSeconds, 2)})`).join('; '),
        `${mb(lake.outputBytes)} + ${mb(lake.quarantineBytes)}`,
        `${mb(baseline.csvBytes)} → ${mb(baseline.parquetBytes)}`,
      ];
    }),
  );
}

function memoryTable(sizes: SizeResult[]): string {
  const first = sizes[0];
  const last = sizes.at(-1);
  const flat = sizes.length > 1 && first && last;
  const header = ['worker', 'idle MB', ...sizes.map((s) => `peak RSS MB @${sizeLabel(s.rows)}`)];
  if (flat) header.push(`${sizeLabel(last.rows)}/${sizeLabel(first.rows)}`);
  header.push(...sizes.map((s) => `CPU s in the run (in the process's life) @${sizeLabel(s.rows)}`), ...sizes.map((s) => `written MB @${sizeLabel(s.rows)}`));
  const rows = WORKER_APPS.map((app) => {
    const usage = sizes.map((s) => s.lake.workers.find((w) => w.app === app));
    const peaks = sizes.map((s) => peakOf(s, app));
    const cells = [app, fixed(usage[0]?.idleRssMb ?? 0)];
    cells.push(...peaks.map((p) => (p !== undefined ? `${fixed(p)} ${mark(p <= TARGETS.workerRssMb)}` : '–')));
    if (flat) {
      const ratio = (peaks.at(-1) ?? 0) / (peaks[0] ?? 1);
      cells.push(`${fixed(ratio, 2)} ${mark(ratio <= TARGETS.flatRatio)}`);
    }
    cells.push(...usage.map((u) => `${fixed(u?.runCpuSeconds ?? 0)} (${fixed(u?.cpuSeconds ?? 0)})`), ...usage.map((u) => mb(u?.writtenBytes ?? 0)));
    return cells;
  });
  const baselinePeak = (s: SizeResult) => Math.max(...s.repetitions.map((r) => r.baselinePeakRssMb));
  const baseline = ['baseline (1 process)', '–', ...sizes.map((s) => `${fixed(baselinePeak(s))} (median run: copy ${fixed(s.baseline.copyPeakRssMb)}, duckdb ${fixed(s.baseline.duckdbPeakRssMb)})`)];
  if (flat) baseline.push(fixed(baselinePeak(last) / baselinePeak(first), 2));
  baseline.push(...sizes.map(() => '–'), ...sizes.map((s) => mb(s.baseline.csvBytes + s.baseline.parquetBytes)));
  const bench = ['bench process (s3rver when in process, polls)', '–', ...sizes.map(() => '–')];
  if (flat) bench.push('–');
  bench.push(...sizes.map((s) => fixed(s.lake.benchCpuSeconds)), ...sizes.map(() => '–'));
  const source = ["PostgreSQL (the extract's backends)", '–', ...sizes.map(() => '–')];
  if (flat) source.push('–');
  source.push(...sizes.map((s) => (s.lake.sourceCpuSeconds === undefined ? '–' : fixed(s.lake.sourceCpuSeconds))), ...sizes.map(() => '–'));
  return table(header, [...rows, bench, source, baseline]);
}

function stageTable(size: SizeResult): string {
  const rows = size.lake.stages.map((s) => [
    s.recorded ? s.stage : `${s.stage} (derived*)`,
    fixed(s.startS),
    fixed(s.seconds),
    s.recorded ? String(s.attempts) : '',
    s.workerPeakRssMb > 0 ? fixed(s.workerPeakRssMb) : '–',
    s.phases ? Object.entries(s.phases).map(([phase, seconds]) => `${phase} ${fixed(seconds)}`).join(', ') : '',
  ]);
  // Stages overlap (the transform starts with the extract): the run ends where the last one does.
  const ended = Math.max(0, ...size.lake.stages.map((s) => s.startS + s.seconds));
  rows.push(['until the bench saw it (polling, not counted)', '', fixed(size.lake.observedSeconds - ended), '', '', '']);
  return table(['stage', 'starts at s', 'seconds', 'attempts', 'worker RSS MB (sampled peak)', 'phases (s, as the stage timed them)'], rows);
}

/** The whole report as markdown, ready to quote in a README. */
export function toMarkdown(report: BenchReport): string {
  const { machine } = report;
  const parts = [
    `# Lake benchmark — ${report.startedAt}`,
    '',
    `\`${report.command}\` · ${machine.cpus} cores, ${machine.memoryGb} GB · Node ${machine.node} · object store: ${machine.s3} · commit ${machine.commit}`,
    '',
    'Lake: five worker processes, `phenotype.observations` from trigger to committed and catalogued version. ' +
      'Baseline: `COPY (SELECT * FROM observations) TO STDOUT (FORMAT csv, HEADER)` to a local file, then DuckDB ' +
      '`COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet, COMPRESSION zstd)`, in one process.',
    '',
    '## Throughput',
    '',
    throughputTable(report.sizes),
    '',
    `Each size's baseline and lake run alternated ${report.sizes[0]?.repetitions.length ?? 0} time(s) on the same data; seconds and rows/s are each side's median run, ` +
      `the ratio is theirs. Target lake/baseline ≥ ${TARGETS.ratio}, goal ≥ ${TARGETS.ratioGoal}.`,
    '',
    '## Memory (VmHWM) and I/O per worker',
    '',
    memoryTable(report.sizes),
    '',
    `Peak RSS is the highest of a size's repetitions; idle, CPU and written are the median lake run's. ` +
      `Target ≤ ${TARGETS.workerRssMb} MB per worker, flat in the data size (largest/smallest ≤ ${TARGETS.flatRatio}). ` +
      'CPU in the run is from just before the trigger to the commit; in brackets, the whole process life, start-up included. PostgreSQL\'s is its backends serving the extract role, sampled every 200 ms from /proc (– when PostgreSQL is on another machine). ' +
      '"written" is `wchar` from /proc/<pid>/io: every write syscall, i.e. temp Parquet files, S3 uploads and PostgreSQL/Redis traffic.',
  ];
  for (const size of report.sizes) {
    parts.push(
      '',
      `## Stages at ${sizeLabel(size.rows)} rows (median run ${size.lake.runId}, seeded in ${fixed(size.seedSeconds)} s, ${size.orgs} organizations)`,
      '',
      stageTable(size),
      '',
      '\\* from catalog timestamps: scheduler = trigger → extract start; load = transform end → version `committed_at`; ' +
        'catalog = commit → run `finished_at`. Each includes its queue hand-off.',
      '',
      `Loaded ${int(size.lake.loadedRows)} + quarantined ${int(size.lake.quarantinedRows)} = ${int(size.rows)} ✓ (count(*) of v${size.lake.version}: ${int(size.lake.queriedRows)}); ` +
        `staging ${mb(size.lake.stagingBytes)} MB, ${size.lake.outputFiles} output files.`,
    );
  }
  return `${parts.join('\n')}\n`;
}

/** Writes `results.json` (everything, including RSS samples) and `results.md` into `dir`. */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'results.json');
  const md = join(dir, 'results.md');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(md, toMarkdown(report));
  return [json, md];
}
