import { readdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPriority, setPriority } from 'node:os';
import type { Worker } from 'bullmq';

export interface WorkerRuntimeOptions {
  app: string;
  worker: Worker;
  /** Port of /healthz, /readyz and /metrics; 0 picks a free port, undefined serves none. */
  healthPort?: number;
  /** Extra readiness checks (catalog reachable, store reachable...). */
  ready?: () => Promise<boolean>;
  log: { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Nice value of every thread of the process, lower priority than 0 only (see `setProcessNice`). */
  nice?: number;
  /** Closed after the worker, in order (catalog pool, queues...). */
  closers?: Array<() => Promise<void>>;
  /**
   * How long SIGTERM waits for the active job before the process exits anyway; the job's lock
   * then expires and another worker takes it over (at-least-once, and every stage is idempotent).
   * @defaultValue 25000 (Kubernetes' default grace period is 30 s)
   */
  shutdownGraceMs?: number;
}

export interface WorkerRuntime {
  port: number | undefined;
  stop(): Promise<void>;
}

/**
 * Wraps a stage worker for production: health and Prometheus metrics endpoints, counters of
 * completed and failed jobs, and graceful shutdown on SIGTERM/SIGINT (finish the active job, or
 * release it when the grace period ends).
 */
export async function runWorker(opts: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  if (opts.nice) setProcessNice(opts.nice);
  const counters = { completed: 0, failed: 0, active: 0 };
  const started = Date.now();
  opts.worker.on('active', () => counters.active++);
  opts.worker.on('completed', () => {
    counters.completed++;
    counters.active--;
  });
  opts.worker.on('failed', () => {
    counters.failed++;
    counters.active = Math.max(0, counters.active - 1);
  });
  opts.worker.on('error', (err) => opts.log.error({ err }, 'worker error'));

  let server: Server | undefined;
  let port: number | undefined;
  if (opts.healthPort !== undefined) {
    server = createServer((req, res) => {
      void (async () => {
        if (req.url === '/healthz') {
          res.writeHead(opts.worker.isRunning() ? 200 : 503, { 'content-type': 'text/plain' }).end(opts.worker.isRunning() ? 'ok' : 'stopped');
        } else if (req.url === '/readyz') {
          const ok = opts.worker.isRunning() && (opts.ready ? await opts.ready().catch(() => false) : true);
          res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready' : 'not ready');
        } else if (req.url === '/metrics') {
          const q = opts.worker.name;
          const mem = process.memoryUsage();
          const lines = [
            '# TYPE lake_jobs_completed_total counter',
            `lake_jobs_completed_total{app="${opts.app}",queue="${q}"} ${counters.completed}`,
            '# TYPE lake_jobs_failed_total counter',
            `lake_jobs_failed_total{app="${opts.app}",queue="${q}"} ${counters.failed}`,
            '# TYPE lake_jobs_active gauge',
            `lake_jobs_active{app="${opts.app}",queue="${q}"} ${counters.active}`,
            '# TYPE process_resident_memory_bytes gauge',
            `process_resident_memory_bytes ${mem.rss}`,
            '# TYPE nodejs_heap_size_used_bytes gauge',
            `nodejs_heap_size_used_bytes ${mem.heapUsed}`,
            '# TYPE nodejs_heap_size_total_bytes gauge',
            `nodejs_heap_size_total_bytes ${mem.heapTotal}`,
            '# HELP nodejs_external_memory_bytes Memory of C++ objects bound to JavaScript objects (Buffers included).',
            '# TYPE nodejs_external_memory_bytes gauge',
            `nodejs_external_memory_bytes ${mem.external}`,
            '# TYPE process_uptime_seconds gauge',
            `process_uptime_seconds ${(Date.now() - started) / 1000}`,
          ];
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
        } else {
          res.writeHead(404).end();
        }
      })();
    });
    await new Promise<void>((resolve) => server?.listen(opts.healthPort, '0.0.0.0', resolve));
    port = (server.address() as AddressInfo).port;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      opts.log.info({ app: opts.app }, 'shutting down: finishing the active job');
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.shutdownGraceMs ?? 25_000).unref());
      const outcome = await Promise.race([opts.worker.close().then(() => 'closed' as const), grace]);
      if (outcome === 'timeout') {
        opts.log.info({}, 'grace period over: releasing the active job to another worker');
        await opts.worker.close(true);
      }
      for (const close of opts.closers ?? []) await close().catch(() => undefined);
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    })();
    return stopping;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }
  opts.log.info({ app: opts.app, queue: opts.worker.name, healthPort: port, nice: getPriority() }, 'worker started');
  return { port, stop };
}

/**
 * Sets the nice value of every thread of this process. Linux schedules threads, not processes:
 * `setpriority` on the process id changes its main thread only, while the threads already running
 * (V8's, libuv's pool, DuckDB's) keep theirs; threads started later inherit their creator's.
 * Elsewhere the process as a whole.
 */
export function setProcessNice(nice: number): void {
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    threads = [0];
  }
  for (const tid of threads) {
    try {
      setPriority(tid, nice);
    } catch {
      // A thread that has ended since the listing.
    }
  }
}
