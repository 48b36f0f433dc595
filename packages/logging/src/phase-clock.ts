/**
 * Wall-clock time per named phase of one job, for the job's closing log line: where a stage's
 * time went (`{ "sql-check": 3.1, "flush": 5.2 }`, seconds) without a profiler.
 *
 * ```ts
 * const clock = new PhaseClock();
 * const rows = await clock.time('extract', () => copyRows());
 * log.info({ seconds: clock.seconds() }, 'done');
 * ```
 */
export class PhaseClock {
  private readonly ms = new Map<string, number>();

  /** Runs `work`, adding its duration to `phase` (whether it resolves or throws). */
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - start);
    }
  }

  /** Adds `ms` milliseconds to `phase`. */
  add(phase: string, ms: number): void {
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + ms);
  }

  /** Milliseconds timed so far in `phase`. */
  total(phase: string): number {
    return this.ms.get(phase) ?? 0;
  }

  /** Seconds per phase, rounded to milliseconds, in the order phases were first timed. */
  seconds(): Record<string, number> {
    return Object.fromEntries([...this.ms].map(([phase, ms]) => [phase, Math.round(ms) / 1000]));
  }
}
