import { readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuSeconds } from './workers.js';

/** CPU seconds of a local PostgreSQL process (throws when `pid` is none here). */
function postgresCpu(pid: number): number {
  if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') throw new Error(`process ${pid} is not PostgreSQL`);
  return cpuSeconds(pid);
}

/**
 * The CPU of the PostgreSQL backends that serve one role on the source database during a run (the
 * extract's connections): every `intervalMs` the bench lists them in `pg_stat_activity` and reads
 * each one's CPU from /proc. Only where PostgreSQL runs on the bench's machine; elsewhere, or when
 * /proc is not readable, `stop` gives undefined. A backend that ends between two samples loses
 * what it used since the last one.
 */
export class SourceCpu {
  /** CPU seconds last read per backend pid. */
  private readonly seen = new Map<number, number>();
  /** Backends already there when sampling started, and their CPU seconds then. */
  private readonly before = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  /** The first `stop`'s answer: a second one gives it again. */
  private stopped?: Promise<number | undefined>;
  private unreadable = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
    private readonly role: string,
  ) {}

  static async start(opts: { adminUrl: string; database: string; role: string; intervalMs?: number }): Promise<SourceCpu> {
    const client = new pg.Client({ connectionString: opts.adminUrl, application_name: 'bijmantra-lake-bench-cpu' });
    await client.connect();
    const sampler = new SourceCpu(client, opts.database, opts.role);
    await sampler.sample();
    for (const [pid, cpu] of sampler.seen) sampler.before.set(pid, cpu);
    sampler.timer = setInterval(() => {
      // A failed sample (the connection dropped, say) costs that sample, not the bench.
      sampler.sampling ??= sampler
        .sample()
        .catch(() => undefined)
        .finally(() => {
          sampler.sampling = undefined;
        });
    }, opts.intervalMs ?? 200);
    return sampler;
  }

  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = $2', [this.database, this.role]);
    for (const { pid } of rows) {
      try {
        this.seen.set(pid, postgresCpu(pid));
      } catch {
        // Gone since the listing, or not a process of this machine.
        if (!this.seen.has(pid)) this.unreadable = true;
      }
    }
  }

  /** Samples once more and stops: the backends' CPU seconds since `start`, summed, or undefined when none could be read. */
  stop(): Promise<number | undefined> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<number | undefined> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample().catch(() => undefined);
    await this.client.end();
    if (this.seen.size === 0 && this.unreadable) return undefined;
    return [...this.seen].reduce((sum, [pid, cpu]) => sum + cpu - (this.before.get(pid) ?? 0), 0);
  }
}
