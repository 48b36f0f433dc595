/**
 * The baseline, run in its own process so its VmHWM is its own (the bench process also hosts
 * s3rver). Reads `{ url, dir }` as JSON from argv[2], prints a `BaselineTimings` JSON line.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

export interface BaselineTimings {
  csvSeconds: number;
  parquetSeconds: number;
  csvBytes: number;
  parquetBytes: number;
  parquetRows: number;
  /** Peak RSS while PostgreSQL streamed the CSV, and while DuckDB wrote the Parquet. */
  copyPeakRssMb: number;
  duckdbPeakRssMb: number;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so each part gets its own peak. */
function resetPeakRss(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

const { url, dir } = JSON.parse(process.argv[2] ?? '{}') as { url: string; dir: string };
const csv = join(dir, 'observations.csv');
const parquet = join(dir, 'observations.parquet');
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

resetPeakRss();
let t = performance.now();
const client = new pg.Client({ connectionString: url });
await client.connect();
await pipeline(client.query(copyTo('COPY (SELECT * FROM observations) TO STDOUT (FORMAT csv, HEADER)')), createWriteStream(csv));
await client.end();
const csvSeconds = (performance.now() - t) / 1000;
const copyPeakRssMb = peakRssMb();

resetPeakRss();
t = performance.now();
const duck = await DuckDBInstance.create(':memory:');
const conn = await duck.connect();
await conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
const parquetSeconds = (performance.now() - t) / 1000;
const duckdbPeakRssMb = peakRssMb();

const counted = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(parquet)})`);
const timings: BaselineTimings = {
  csvSeconds,
  parquetSeconds,
  csvBytes: (await stat(csv)).size,
  parquetBytes: (await stat(parquet)).size,
  parquetRows: Number(counted.getRows()[0]?.[0]),
  copyPeakRssMb,
  duckdbPeakRssMb,
};
conn.closeSync();
duck.closeSync();
console.log(JSON.stringify(timings));
