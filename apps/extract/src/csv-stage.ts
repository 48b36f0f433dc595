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
import { duckdbParquetFormat, duckdbType, duckdbIdentifier as ident, duckdbLiteral as lit, NativeSession } from '@lake/parquet';
import { parseLakeType } from '@lake/contracts';
import type { ClientBase } from 'pg';
import { type ColumnDescriptor, copyOut, copyOutRows, describeQuery, type PgType } from './pg-copy/index.js';
import type { LookupJoin } from './source-query.js';

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

/** Key types a lookup is matched on: equal in DuckDB exactly when equal in PostgreSQL. */
const LOOKUP_KEY_TYPES: Partial<Record<PgType, 'integer' | 'uuid'>> = { int2: 'integer', int4: 'integer', int8: 'integer', uuid: 'uuid' };

/**
 * The largest lookup (as PostgreSQL's CSV) the extract joins itself; past it, PostgreSQL joins.
 * A lookup is a table in DuckDB for the whole query, within its memory limit.
 */
export const LOOKUP_MAX_BYTES = 4 * 1024 * 1024;

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
  /**
   * The query without its joins and the lookups that give the joined columns back
   * (`sourceQueryWithLookups`): PostgreSQL sends each lookup once instead of its columns on
   * every row, and DuckDB joins them while it converts. Where they cannot give exactly the
   * query's rows (see `readLookups`), `sql` runs as given and `onLookupsDeclined` hears why.
   */
  lookups?: { sql: string; joins: LookupJoin[] };
  onLookupsDeclined?(reason: string): void;
}

/** How a CSV part is read: PostgreSQL's columns, and the lookup tables its rows are joined with. */
interface CsvReading {
  columns: readonly ColumnDescriptor[];
  lookups: Array<{ table: string; join: LookupJoin }>;
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
  let reading: CsvReading = { columns: descriptors, lookups: [] };
  let query = sql;
  if (opts.lookups) {
    const read = await readLookups(client, session, descriptors, specs, opts.lookups, (i) => `${opts.csvPath(0)}.lookup-${i}`).catch((err: unknown) => {
      session.close();
      throw err;
    });
    if (typeof read === 'string') {
      opts.onLookupsDeclined?.(read);
    } else {
      reading = read;
      query = opts.lookups.sql;
    }
  }
  let index = 0;
  /** The open CSV part. Written synchronously: the one libuv pool thread is DuckDB's meanwhile. */
  let out: number | undefined;
  let records = 0;
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
      rows = await toParquet(session, opts.csvPath(part), path, reading, descriptors, specs, opts);
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
    // PostgreSQL sends each row as a message of its own: blocks end after every `fileRows` rows,
    // where a part ends, and no byte of the CSV is read here to find its records. copyOutRows
    // reads and discards the rest when this stops early, so the connection and its transaction
    // stay usable for the binary path. Each block is written before the next is asked for, so on
    // a pooled socket its buffer takes a later read (`reuseBuffers`).
    let sent = -1;
    let received = 0;
    for await (const block of copyOutRows(client, query, { format: 'csv', splitEvery: opts.fileRows, reuseBuffers: true, onRowCount: (n) => (sent = n) })) {
      if (out === undefined) open();
      write(block.bytes);
      records += block.rows;
      received += block.rows;
      if (records < opts.fileRows) continue;
      // The part holds `fileRows` rows: it converts while the next part is read.
      const done = await handOver();
      if (done) yield done;
    }
    // Each part's rows are DuckDB's count of its records; the messages are PostgreSQL's rows.
    if (received !== sent) throw new CsvUnreadable(`PostgreSQL sent ${sent} rows but ${received} row messages`);
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
    for (const { table } of reading.lookups) await session.dropTable(table);
    session.close();
  }
}

/**
 * A CSV column as the staging type of `spec`: BC and infinite dates and timestamps are left to the
 * binary decoder, which converts the first and names the second (no lake value) by row.
 */
function stagedValue(col: string, d: ColumnDescriptor, spec: ColumnSpec): string {
  const time = TIME_TYPES[d.pgType];
  const value = time ? `CASE WHEN ${col} LIKE '% BC' OR ${col} IN ('infinity', '-infinity') THEN error('${d.pgType} ' || ${col} || ' is left to binary COPY') ELSE CAST(${col} AS ${time}) END` : col;
  return `CAST(${value} AS ${duckdbType(parseLakeType(spec.type))})`;
}

/** `read_csv` of a PostgreSQL CSV file with `columns`, each read as CSV_READ_TYPES says. */
function readCsv(path: string, columns: readonly ColumnDescriptor[]): string {
  const types = columns.map((d) => `${lit(d.name)}: ${lit(CSV_READ_TYPES[d.pgType] as string)}`);
  // A 4 MB read buffer instead of DuckDB's default: the extract worker's peak fell from 310 to
  // 261 MB at the same speed (1M observations); a record longer than DuckDB's 2 MB line limit
  // fails the part, and the query goes through binary COPY.
  return (
    `read_csv(${lit(path)}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', ` +
    `allow_quoted_nulls = false, buffer_size = 4194304, columns = {${types.join(', ')}})`
  );
}

/**
 * Reads each lookup of the query into a DuckDB table, in the caller's transaction (its snapshot,
 * its row-level security): the reading that joins them to the query's rows. Returns why not
 * instead when the join would not give exactly PostgreSQL's rows or would not fit: a column CSV
 * does not carry, key types other than integers or UUIDs (whose equality DuckDB shares), a
 * lookup past LOOKUP_MAX_BYTES, a key held by two rows (PostgreSQL would repeat the row).
 */
async function readLookups(
  client: ClientBase,
  session: NativeSession,
  descriptors: readonly ColumnDescriptor[],
  specs: readonly ColumnSpec[],
  lookups: { sql: string; joins: LookupJoin[] },
  csvPath: (i: number) => string,
): Promise<CsvReading | string> {
  const columns = await describeQuery(client, lookups.sql);
  if (!csvStageable(columns)) return 'a column of the query without its joins is not staged through CSV';
  const own = new Map(columns.map((d) => [d.name, d]));
  const out = new Map(descriptors.map((d, i) => [d.name, { d, spec: specs[i] as ColumnSpec }]));
  const joined = new Set(lookups.joins.flatMap((j) => j.columns.map((c) => c.as)));
  for (const d of descriptors) if (!joined.has(d.name) && own.get(d.name)?.pgType !== d.pgType) return `column "${d.name}" differs without the joins`;
  const tables: CsvReading['lookups'] = [];
  /** Drops the lookups already read: PostgreSQL joins after all. */
  const decline = async (reason: string) => {
    for (const { table } of tables.splice(0)) await session.dropTable(table);
    return reason;
  };
  try {
    for (const [i, join] of lookups.joins.entries()) {
      const theirs = await describeQuery(client, join.sql);
      const named = new Map(theirs.map((d) => [d.name, d]));
      for (const { main, lookup } of join.on) {
        const kind = LOOKUP_KEY_TYPES[own.get(main)?.pgType as PgType];
        if (kind === undefined || kind !== LOOKUP_KEY_TYPES[named.get(lookup)?.pgType as PgType]) return decline(`lookup ${i} is matched on a key that is not an integer or UUID on both sides`);
      }
      const select = join.on.map(({ lookup }) => ident(lookup));
      for (const c of join.columns) {
        const target = out.get(c.as);
        const d = named.get(c.lookup);
        if (!target || !d || d.pgType !== target.d.pgType || CSV_READ_TYPES[d.pgType] === undefined) return decline(`joined column "${c.as}" is not staged through CSV`);
        select.push(`${stagedValue(ident(c.lookup), d, target.spec)} AS ${ident(c.lookup)}`);
      }
      const path = csvPath(i);
      try {
        let bytes = 0;
        const file = openSync(path, 'w');
        try {
          // Stopping early reads and discards the rest: the transaction stays usable.
          for await (const chunk of copyOut(client, join.sql, { format: 'csv' })) {
            bytes += chunk.length;
            if (bytes > LOOKUP_MAX_BYTES) break;
            for (let at = 0; at < chunk.length; ) at += writeSync(file, chunk, at);
          }
        } finally {
          closeSync(file);
        }
        if (bytes > LOOKUP_MAX_BYTES) return decline(`lookup ${i} is larger than ${LOOKUP_MAX_BYTES} bytes`);
        const table = NativeSession.tableName('lake_lookup');
        try {
          await session.run(`CREATE TABLE ${ident(table)} AS SELECT ${select.join(', ')} FROM ${readCsv(path, theirs)}`);
        } catch (err) {
          await session.dropTable(table);
          return decline(`lookup ${i} is not read by DuckDB: ${(err as Error).message}`);
        }
        tables.push({ table, join });
        const keys = join.on.map(({ lookup }) => ident(lookup));
        const [repeated] = await session.rows(
          `SELECT count(*) AS n FROM (SELECT 1 FROM ${ident(table)} WHERE ${keys.map((k) => `${k} IS NOT NULL`).join(' AND ')} GROUP BY ${keys.join(', ')} HAVING count(*) > 1)`,
        );
        if (Number(repeated?.n ?? 0) > 0) return decline(`lookup ${i} has a key on more than one row`);
      } finally {
        await rm(path, { force: true });
      }
    }
  } catch (err) {
    await decline('');
    throw err;
  }
  return { columns, lookups: tables };
}

/** Converts one CSV part, joined with its lookups; returns its row count. */
async function toParquet(
  session: NativeSession,
  csv: string,
  parquet: string,
  reading: CsvReading,
  descriptors: readonly ColumnDescriptor[],
  specs: readonly ColumnSpec[],
  opts: CsvStageOptions,
): Promise<number> {
  const lookupOf = new Map(reading.lookups.flatMap(({ join }, i) => join.columns.map((c) => [c.as, `j${i}.${ident(c.lookup)}`] as const)));
  const select = descriptors.map((d, i) => `${lookupOf.get(d.name) ?? stagedValue(`t.${ident(d.name)}`, d, specs[i] as ColumnSpec)} AS ${ident(d.name)}`);
  const joins = reading.lookups.map(
    ({ table, join }, i) => ` LEFT JOIN ${ident(table)} j${i} ON ${join.on.map(({ main, lookup }) => `j${i}.${ident(lookup)} = t.${ident(main)}`).join(' AND ')}`,
  );
  const read = `${readCsv(csv, reading.columns)} t${joins.join('')}`;
  const kv = Object.entries(opts.keyValueMetadata).map(([k, v]) => `${lit(k)}: ${lit(v)}`);
  try {
    const result = await session.rows(
      `COPY (SELECT ${select.join(', ')} FROM ${read}) TO ${lit(parquet)} (${duckdbParquetFormat('zstd')}, ROW_GROUP_SIZE ${opts.rowGroupSize}${kv.length ? `, KV_METADATA {${kv.join(', ')}}` : ''})`,
    );
    return Number(Object.values(result[0] ?? {})[0] ?? -1);
  } catch (error) {
    await rm(parquet, { force: true });
    throw new CsvUnreadable((error as Error).message);
  }
}
