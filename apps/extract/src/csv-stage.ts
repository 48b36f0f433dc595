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
 * file as it is written: its local path and row count. The caller uploads and removes it. The
 * files' rows add up to the rows PostgreSQL reports it sent (`COPY n`), or staging fails.
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
    let sent = -1;
    let scanned = 0;
    for await (const chunk of copyOut(client, sql, { format: 'csv', onRowCount: (n) => (sent = n) })) {
      for (let start = 0; start < chunk.length; ) {
        if (out === undefined) open();
        const { count, end } = scanner.next(chunk, start, opts.fileRows - records);
        records += count;
        scanned += count;
        if (end === -1) {
          write(chunk.subarray(start));
          break;
        }
        // The part holds `fileRows` records: it converts while the next part is read.
        write(chunk.subarray(start, end));
        start = end;
        const done = await handOver();
        if (done) yield done;
      }
    }
    if (scanner.inQuote) throw new CsvUnreadable('the CSV stream ended inside a quoted field');
    // Each part's rows are DuckDB's count of its records; the records are PostgreSQL's rows.
    if (scanned !== sent) throw new CsvUnreadable(`PostgreSQL sent ${sent} rows but the CSV stream held ${scanned} records`);
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
 * may hold newlines; `""` inside one toggles twice). A plain loop over the bytes: PostgreSQL
 * quotes every JSON value and doubles its quotes, so the bench's rows hold dozens of quotes each,
 * and jumping between them with `indexOf` (a native call per quote) cost 1.3 s of the extract's
 * main thread per 1M rows; this loop takes ~0.6 s.
 */
export class CsvRecordScanner {
  inQuote = false;

  /**
   * Scans `chunk` from `from` for at most `limit` record ends: how many it found and the offset
   * just past the last of them when it found `limit` (else -1, the chunk ending first).
   */
  next(chunk: Uint8Array, from: number, limit: number): { count: number; end: number } {
    // Quote parity as an integer flipped without a branch: half the time of toggling a boolean.
    let odd = this.inQuote ? 1 : 0;
    let count = 0;
    const n = chunk.length;
    for (let i = from; i < n; i++) {
      const b = chunk[i] as number;
      odd ^= +(b === 0x22);
      if (b === 0x0a && odd === 0 && ++count === limit) {
        this.inQuote = false;
        return { count, end: i + 1 };
      }
    }
    this.inQuote = odd === 1;
    return { count, end: -1 };
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
