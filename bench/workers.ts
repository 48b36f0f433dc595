import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WORKER_ENV, workerNodeArgs } from '@lake/config';

export const WORKER_APPS = ['scheduler', 'extract', 'transform', 'load', 'catalog'] as const;
export type WorkerApp = (typeof WORKER_APPS)[number] | 'ingest-events';

/** What one worker process used over its life, read from /proc just before it was stopped. */
export interface WorkerUsage {
  app: WorkerApp;
  /** RSS once the worker was ready and idle (node + its modules). */
  idleRssMb: number;
  /** VmHWM: the kernel's own peak RSS, so no spike between samples is missed. */
  peakRssMb: number;
  /** Highest VmRSS of the periodic samples (a cross-check of `peakRssMb`). */
  sampledPeakRssMb: number;
  cpuSeconds: number;
  /** CPU seconds from `startSampling` (just before the trigger) to `stop`: the run's, without start-up. */
  runCpuSeconds: number;
  /** `wchar`: bytes handed to write syscalls — temp Parquet files, S3 uploads, PostgreSQL and Redis traffic. */
  writtenBytes: number;
  /** `write_bytes`: bytes the process caused to be sent to the storage layer. */
  diskWriteBytes: number;
}

/** /proc/<pid>/stat counts CPU time in USER_HZ ticks, fixed at 100 by the kernel ABI. */
const USER_HZ = 100;

function procFields(pid: number, file: 'status' | 'io'): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) fields.set(m[1] as string, Number(m[2]));
  }
  return fields;
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return (procFields(pid, 'status').get(field) ?? 0) / 1024;
}

/** VmRSS, or undefined when the process is gone (it may exit between two samples). */
function tryRssMb(pid: number): number | undefined {
  try {
    return rssMb(pid, 'VmRSS');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process of this machine, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "pid (comm) " start at field 3; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}

/** Ports handed out by this process: the OS may offer a just-closed port again before its worker binds it. */
const handedOut = new Set<number>();

async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    // On every interface, as the workers bind it.
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

interface Running {
  app: WorkerApp;
  child: ChildProcess;
  pid: number;
  port: number;
  idleRssMb: number;
  sampledPeakRssMb: number;
  /** CPU seconds when sampling started. */
  cpuAtStart: number;
  exited?: string;
}

/** VmRSS of every worker at one instant, seconds since the pool started sampling. */
export interface RssSample {
  t: number;
  rssMb: Partial<Record<WorkerApp, number>>;
}

let built = false;

/** Compiles the workers from this checkout's sources, once per bench process: they run compiled. */
function buildWorkersOnce(repoRoot: string): void {
  if (built) return;
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build-workers.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
}

/**
 * The five lake workers, one process each, spawned directly (not through `lake workers`) so the
 * bench knows every worker's pid and can read its memory and I/O counters from /proc.
 * They run compiled (`apps/<app>/dist/main.js`, see scripts/build-workers.mjs), as in production.
 */
export class WorkerPool {
  /** VmRSS every `SAMPLE_MS`, to see which stage's work grows a worker's memory. */
  readonly samples: RssSample[] = [];
  private sampler?: NodeJS.Timeout;

  private constructor(private readonly running: Running[]) {}

  /** Starts sampling every worker's VmRSS every `intervalMs`; `t` counts from this call. */
  startSampling(intervalMs = 500): void {
    for (const r of this.running) if (!r.exited) r.cpuAtStart = cpuSeconds(r.pid);
    const started = performance.now();
    this.sampler = setInterval(() => {
      const rssMb: RssSample['rssMb'] = {};
      for (const r of this.running) {
        if (r.exited) continue;
        const mb = tryRssMb(r.pid);
        if (mb === undefined) continue;
        rssMb[r.app] = mb;
        r.sampledPeakRssMb = Math.max(r.sampledPeakRssMb, mb);
      }
      this.samples.push({ t: Math.round(performance.now() - started) / 1000, rssMb });
    }, intervalMs);
  }

  /**
   * Spawns the workers from the repository root (they resolve `schemas/` from there) and waits
   * until each answers `/readyz`, so a timed run does not include process start-up.
   * Each worker's stdout and stderr go to `<logDir>/<app>.log`.
   */
  static async start(opts: { repoRoot: string; env: NodeJS.ProcessEnv; logDir: string; nodeArgs: string[]; apps?: readonly WorkerApp[] }): Promise<WorkerPool> {
    buildWorkersOnce(opts.repoRoot);
    const running: Running[] = [];
    for (const app of opts.apps ?? WORKER_APPS) {
      const port = await freePort();
      const log = openSync(join(opts.logDir, `${app}.log`), 'w');
      const child = spawn(process.execPath, [...workerNodeArgs(app), ...opts.nodeArgs, join('apps', app, 'dist', 'main.js')], {
        cwd: opts.repoRoot,
        env: { ...WORKER_ENV, ...opts.env, LAKE_HEALTH_PORT: String(port) },
        stdio: ['ignore', log, log],
      });
      if (child.pid === undefined) throw new Error(`could not spawn the ${app} worker`);
      const r: Running = { app, child, pid: child.pid, port, idleRssMb: 0, sampledPeakRssMb: 0, cpuAtStart: 0 };
      child.once('exit', (code, signal) => {
        r.exited = `${app} worker exited (${code ?? signal}); see ${join(opts.logDir, `${app}.log`)}`;
      });
      running.push(r);
    }
    const pool = new WorkerPool(running);
    try {
      await Promise.all(running.map((r) => pool.waitReady(r)));
    } catch (err) {
      await pool.stop();
      throw err;
    }
    for (const r of running) r.idleRssMb = rssMb(r.pid, 'VmRSS');
    return pool;
  }

  /** The health (and, for ingest-events, webhook) port of an app. */
  port(app: WorkerApp): number {
    const r = this.running.find((x) => x.app === app);
    if (!r) throw new Error(`${app} is not in the pool`);
    return r.port;
  }

  /** Why the pool is broken (a worker died), or undefined while every worker runs. */
  failure(): string | undefined {
    return this.running.find((r) => r.exited)?.exited;
  }

  private async waitReady(r: Running, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (r.exited) throw new Error(r.exited);
      const ok = await fetch(`http://127.0.0.1:${r.port}/readyz`).then((res) => res.ok, () => false);
      if (ok) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`${r.app} worker not ready after ${timeoutMs / 1000} s`);
  }

  /**
   * Reads every worker's counters, then stops it with SIGTERM (graceful: it finishes or releases
   * its job) and SIGKILL if it has not exited 30 s later.
   */
  async stop(): Promise<WorkerUsage[]> {
    clearInterval(this.sampler);
    const usage: WorkerUsage[] = [];
    for (const r of this.running) {
      if (r.exited) continue;
      const io = procFields(r.pid, 'io');
      const cpu = cpuSeconds(r.pid);
      usage.push({
        app: r.app,
        idleRssMb: r.idleRssMb,
        peakRssMb: rssMb(r.pid, 'VmHWM'),
        sampledPeakRssMb: r.sampledPeakRssMb,
        cpuSeconds: cpu,
        runCpuSeconds: cpu - r.cpuAtStart,
        writtenBytes: io.get('wchar') ?? 0,
        diskWriteBytes: io.get('write_bytes') ?? 0,
      });
    }
    await Promise.all(
      this.running.map(async (r) => {
        if (r.exited) return;
        const exited = new Promise((resolve) => r.child.once('exit', resolve));
        r.child.kill('SIGTERM');
        const timer = setTimeout(() => r.child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    return usage;
  }
}
