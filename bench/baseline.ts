import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BaselineTimings } from './baseline-process.js';

export interface BaselineResult extends BaselineTimings {
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

/**
 * The hand-written pipeline the lake is measured against, on the same machine and data:
 * PostgreSQL `COPY ... TO STDOUT (FORMAT csv)` to a local file (superuser, no RLS), then DuckDB
 * `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet, COMPRESSION zstd)`.
 * No validation, no typing by variable, no partitions, no catalog: a lower bound on the work.
 */
export async function runBaseline(opts: { adminUrl: string; rows: number }): Promise<BaselineResult> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-bench-baseline-'));
  try {
    const script = fileURLToPath(new URL('./baseline-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ url: opts.adminUrl, dir })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`baseline process exited with ${code}`);
    const timings = JSON.parse(out.trim().split('\n').at(-1) ?? '') as BaselineTimings;
    if (timings.parquetRows !== opts.rows) throw new Error(`baseline wrote ${timings.parquetRows} rows, the source has ${opts.rows}`);
    const seconds = timings.csvSeconds + timings.parquetSeconds;
    return {
      ...timings,
      seconds,
      rowsPerSecond: opts.rows / seconds,
      peakRssMb: Math.max(timings.copyPeakRssMb, timings.duckdbPeakRssMb),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
