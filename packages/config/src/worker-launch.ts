/**
 * How every worker process is started: the node flags and environment `lake workers`, the bench,
 * compose, the image and the Kubernetes manifests use (the YAML files repeat these values; keep
 * them in step). Each setting was measured against the 256 MB per-worker budget; README,
 * Performance, has the figures.
 */

/** The deployable worker apps, in pipeline order, then the optional webhook. */
export type WorkerAppName = 'scheduler' | 'extract' | 'transform' | 'load' | 'catalog' | 'ingest-events';

/**
 * V8's young generation, in MB per semi-space. V8 grows it to 16 MB × 3 under allocation
 * pressure and keeps it: a 2 MB cap took ~30 MB off every worker's RSS at no cost in speed,
 * except for extract's file parser, whose short-lived strings made a 2 MB nursery promote and
 * collect far more often (512 MB upload: 43k → 31k rows/s); it keeps 8 MB.
 */
const SEMI_SPACE_MB: Record<WorkerAppName, number> = { scheduler: 2, extract: 8, transform: 2, load: 2, catalog: 2, 'ingest-events': 2 };

/**
 * Scheduling priority (nice, 0–19) of a worker's threads, for workers that share a machine's CPUs
 * (compose, `lake workers`, the bench); in Kubernetes each pod's CPU request decides instead. A
 * run's transform starts with its extract and has more to do: when both want a CPU, the extract
 * yields it, so the transform keeps pace instead of finishing alone after the extract
 * (1M rows on 2 cores, two runs each: 6.9 / 6.3 s → 6.2 / 6.1 s; README, Performance).
 * `LAKE_CPU_NICE` overrides it.
 */
export const CPU_NICE: Record<WorkerAppName, number> = { scheduler: 0, extract: 10, transform: 0, load: 0, catalog: 0, 'ingest-events': 0 };

/**
 * Node flags of a worker. The old-space cap makes V8 collect before garbage piles up (without it
 * a worker's RSS was about twice its live data).
 */
export function workerNodeArgs(app: WorkerAppName): string[] {
  return ['--max-old-space-size=160', `--max-semi-space-size=${SEMI_SPACE_MB[app]}`, '--enable-source-maps'];
}

/**
 * Environment every worker starts with unless set.
 * - `MALLOC_ARENA_MAX=2`: two glibc malloc arenas instead of one per thread (DuckDB's and libuv's
 *   threads each took one and kept its freed memory).
 * - `UV_THREADPOOL_SIZE=1`: DuckDB's queries run on libuv's pool threads, and DuckDB's allocator
 *   (its own jemalloc, not glibc's malloc) keeps an arena with its freed pages per thread that
 *   ever ran one; one pool thread means one such arena. Transform's peak at 1M rows fell from
 *   280 to 247 MB and extract's from 218 to 187 MB, and the run was no slower.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', UV_THREADPOOL_SIZE: '1' };
