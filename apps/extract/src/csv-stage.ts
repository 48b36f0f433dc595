/**
 * Staging through PostgreSQL's CSV output, read by DuckDB: for queries whose every column has a
 * CSV text DuckDB reads back as exactly the value binary COPY gives, the rows never become
 * JavaScript values. PostgreSQL writes `COPY … TO STDOUT (FORMAT csv)`, the stream is cut into
 * files of whole records (a quote-aware scan: a newline inside a quoted field is data), and
 * DuckDB turns each into a staging Parquet file with the same column types and footer the
 * binary path writes. A value DuckDB cannot read (a BC date, say) or the lake cannot represent
 * (an infinite timestamp) fails the conversion with `CsvUnreadable`; the caller then stages the
 * same query through binary COPY, whose decoder reports such values precisely.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ColumnSpec } from '@lake/contracts';
import { duckdbType, duckdbIdentifier as ident, duckdbLiteral as lit, NativeSession } from '@lake/parquet';
import { parseLakeType } from '@lake/contracts';
import type { ClientBase } from 'pg';
import { type ColumnDescriptor, copyOut, type PgType } from './pg-copy/index.js';

/** How DuckDB reads each PostgreSQL type's CSV text; types not listed take the binary path. */
const CSV_READ_TYPES: Partial<Record<PgType, string>> = {
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'FLOAT',
  float8: 'DOUBLE',
  bool: 'BOOLEAN',
  text: 'VARCHAR',
  varchar: 'VARCHAR',
  bpchar: 'VARCHAR',
  name: 'VARCHAR',
  uuid: 'VARCHAR',
  json: 'VARCHAR',
  jsonb: 'VARCHAR',
  // Read as text and cast in the SELECT: DuckDB's date parser drops PostgreSQL's ` BC` suffix.
  date: 'VARCHAR',
  timestamp: 'VARCHAR',
  timestamptz: 'VARCHAR',
};

/** The DuckDB type each date-like PostgreSQL type's text is cast to. */
const TIME_TYPES: Partial<Record<PgType, string>> = { date: 'DATE', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' };

/** A CSV part DuckDB could not turn into staging Parquet. */
export class CsvUnreadable extends Error {}


/** True when every column of the query can be staged through CSV. */
export function csvStageable(descriptors: readonly ColumnDescriptor[]): boolean {
  return descriptors.length > 0 && descriptors.every((d) => CSV_READ_TYPES[d.pgType] !== undefined);
}

export interface CsvStageOptions {
  /** Records per staging file. */
  fileRows: number;
  rowGroupSize: number;
  keyValueMetadata: Record<string, string>;
  /** Local path of the `index`-th CSV part and of its staging file. */
  csvPath(index: number): string;
  parquetPath(index: number): string;
}

/**
 * Runs `sql` as CSV COPY on `client` (inside the caller's transaction) and yields each staging
 * file as it is written: its local path and row count. The caller uploads and removes it.
 */
export async function* stageThroughCsv(
  client: ClientBase,
  sql: string,
  descriptors: readonly ColumnDescriptor[],
  specs: readonly ColumnSpec[],
  opts: CsvStageOptions,
): AsyncGenerator<{ path: string; rows: number }, void, undefined> {
  const session = await NativeSession.open();
  let index = 0;
  /** The open CSV part. Written synchronously: the one libuv pool thread is DuckDB's meanwhile. */
  let out: number | undefined;
  let records = 0;
  const scanner = new CsvRecordScanner();
  const open = () => {
    out = openSync(opts.csvPath(index), 'w');
    records = 0;
  };
  const write = (bytes: Buffer) => {
    for (let at = 0; at < bytes.length; ) at += writeSync(out as number, bytes, at);
  };
  /** Ends the open CSV part and converts it; the next part may open at once. */
  const close = async (): Promise<{ path: string; rows: number }> => {
    closeSync(out as number);
    out = undefined;
    const part = index++;
    const expected = records;
    const path = opts.parquetPath(part);
    let rows: number;
    try {
      rows = await toParquet(session, opts.csvPath(part), path, descriptors, specs, opts);
    } finally {
      await rm(opts.csvPath(part), { force: true });
    }
    if (rows !== expected) {
      await rm(path, { force: true });
      throw new CsvUnreadable(`DuckDB read ${rows} rows of a CSV part holding ${expected} records`);
    }
    return { path, rows };
  };
  // A part converts in DuckDB (on the pool thread) while PostgreSQL's rows for the next are read
  // and written here, and while the caller uploads the part before: PostgreSQL and DuckDB no
  // longer wait for each other.
  let converting: Promise<{ path: string; rows: number }> | undefined;
  /** Waits for the part converting (if any), starts converting the open one, returns the first. */
  const handOver = async (): Promise<{ path: string; rows: number } | undefined> => {
    const done = converting ? await converting : undefined;
    converting = close();
    // Awaited at the next hand-over or at the end; a failure waits for that, handled.
    converting.catch(() => undefined);
    return done;
  };
  try {
    // copyOut reads and discards the rest when this stops early, so the connection and its
    // transaction stay usable for the binary path.
    for await (const chunk of copyOut(client, sql, { format: 'csv' })) {
      let start = 0;
      for (const end of scanner.ends(chunk)) {
        if (out === undefined) open();
        records++;
        if (records === opts.fileRows) {
          write(chunk.subarray(start, end));
          start = end;
          const done = await handOver();
          if (done) yield done;
        }
      }
      if (start < chunk.length) {
        if (out === undefined) open();
        write(chunk.subarray(start));
      }
    }
    if (scanner.inQuote) throw new CsvUnreadable('the CSV stream ended inside a quoted field');
    if (out !== undefined) {
      const done = await handOver();
      if (done) yield done;
    }
    if (converting) {
      const last = await converting;
      converting = undefined;
      yield last;
    }
  } finally {
    if (out !== undefined) {
      closeSync(out);
      await rm(opts.csvPath(index), { force: true });
    }
    // A part still converting when staging stops early: let it finish (it holds the session), drop it.
    if (converting) await converting.then((w) => rm(w.path, { force: true }), () => undefined);
    session.close();
  }
}

/**
 * Finds where records end in CSV fed chunk by chunk: at a newline outside quotes (a quoted field
 * may hold newlines; `""` inside one toggles twice). Jumps between quotes and newlines with
 * `indexOf` rather than visiting every byte.
 */
export class CsvRecordScanner {
  inQuote = false;

  /** Offsets just past each record-ending newline of `chunk`. */
  *ends(chunk: Buffer): Generator<number> {
    let quote = chunk.indexOf(0x22);
    let newline = chunk.indexOf(0x0a);
    let i = 0;
    while (i < chunk.length) {
      if (quote !== -1 && quote < i) quote = chunk.indexOf(0x22, i);
      if (this.inQuote) {
        if (quote === -1) return;
        this.inQuote = false;
        i = quote + 1;
        continue;
      }
      if (newline !== -1 && newline < i) newline = chunk.indexOf(0x0a, i);
      if (quote !== -1 && (newline === -1 || quote < newline)) {
        this.inQuote = true;
        i = quote + 1;
        continue;
      }
      if (newline === -1) return;
      i = newline + 1;
      yield i;
    }
  }
}

/** Converts one CSV part; returns its row count. */
async function toParquet(
  session: NativeSession,
  csv: string,
  parquet: string,
  descriptors: readonly ColumnDescriptor[],
  specs: readonly ColumnSpec[],
  opts: CsvStageOptions,
): Promise<number> {
  const columns = descriptors.map((d) => `${lit(d.name)}: ${lit(CSV_READ_TYPES[d.pgType] as string)}`);
  const select = descriptors.map((d, i) => {
    const col = ident(d.name);
    const type = duckdbType(parseLakeType((specs[i] as ColumnSpec).type));
    // BC and infinite dates and timestamps are left to the binary decoder, which converts the
    // first and names the second (no lake value) by row.
    const time = TIME_TYPES[d.pgType];
    const value = time ? `CASE WHEN ${col} LIKE '% BC' OR ${col} IN ('infinity', '-infinity') THEN error('${d.pgType} ' || ${col} || ' is left to binary COPY') ELSE CAST(${col} AS ${time}) END` : col;
    return `CAST(${value} AS ${type}) AS ${col}`;
  });
  const kv = Object.entries(opts.keyValueMetadata).map(([k, v]) => `${lit(k)}: ${lit(v)}`);
  // A 4 MB read buffer instead of DuckDB's default: the extract worker's peak fell from 310 to
  // 261 MB at the same speed (1M observations); a record longer than DuckDB's 2 MB line limit
  // fails the part, and the query goes through binary COPY.
  const read =
    `read_csv(${lit(csv)}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', ` +
    `allow_quoted_nulls = false, buffer_size = 4194304, columns = {${columns.join(', ')}})`;
  try {
    const result = await session.rows(
      `COPY (SELECT ${select.join(', ')} FROM ${read}) TO ${lit(parquet)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${opts.rowGroupSize}${kv.length ? `, KV_METADATA {${kv.join(', ')}}` : ''})`,
    );
    return Number(Object.values(result[0] ?? {})[0] ?? -1);
  } catch (error) {
    await rm(parquet, { force: true });
    throw new CsvUnreadable((error as Error).message);
  }
}
