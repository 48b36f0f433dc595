/**
 * Native Parquet writer: lake column batches go through DuckDB's appender into a temporary
 * table, and DuckDB's own Parquet writer encodes the file on close (`COPY … TO … (FORMAT
 * parquet)`). It writes the same lake types, footer annotations and key-value metadata as
 * `ParquetFileWriter` and validates values with the same rules and messages, at a fraction of
 * the CPU: encoding, compression and statistics run in C++ instead of JavaScript (see the
 * README's performance section for the measurements).
 *
 * DuckDB writes every column OPTIONAL, whatever the table's NOT NULL constraints; the names of the
 * lake's non-nullable columns go into the footer under `lake.required_columns`, which our reader
 * applies (and hides from the key-value metadata it returns).
 *
 * The table lives in a process-wide in-memory DuckDB whose memory limit is small; past that
 * limit DuckDB moves table blocks to its temp directory, so a file's size does not set the
 * writer's memory.
 */
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  type DuckDBMapValue,
  DuckDBTimestampTZValue,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBVector,
} from '@duckdb/node-api';
import type { ColumnBatch, ColumnSpec, LakeValue, ParsedLakeType } from '@lake/contracts';
import type { ColumnStats } from './column-stats.js';
import type { ParquetCompression } from './compression.js';
import { formatDecimal, type PhysicalValue, show, toPhysical } from './lake-values.js';
import { lakeSchema, parseColumnType, REQUIRED_COLUMNS_KEY } from './parquet-schema.js';
import { DEFAULT_ROW_GROUP_SIZE, type ParquetWriteOptions, type ParquetWriteResult } from './parquet-file-writer.js';

/** Settings of the process-wide DuckDB that native writers share. */
export interface NativeWriterSettings {
  /**
   * DuckDB's memory limit. Table data beyond it is moved to `tempDirectory`.
   * @defaultValue '64MB'
   */
  memoryLimit?: string;
  /**
   * DuckDB threads. One costs the least CPU per file (a second thread halved nothing on the
   * bench's many small partition files and doubled the COPY's CPU); a worker scales by processes.
   * @defaultValue 1
   */
  threads?: number;
  /**
   * Where DuckDB spills table data.
   * @defaultValue the OS temp directory
   */
  tempDirectory?: string;
}

let settings: NativeWriterSettings = {};
let instance: Promise<DuckDBInstance> | undefined;

/**
 * Sets how the shared DuckDB is opened; call before the first native writer opens (a worker's
 * start-up). Later calls have no effect on an instance already open.
 */
export function configureNativeWriter(next: NativeWriterSettings): void {
  settings = { ...next };
}

function sharedInstance(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:', {
    memory_limit: settings.memoryLimit ?? '64MB',
    threads: String(settings.threads ?? 1),
    temp_directory: settings.tempDirectory ?? tmpdir(),
    // Nothing is downloaded at run time; parquet and json are built in.
    autoinstall_known_extensions: 'false',
    // Insertion order is the file's row order, which callers rely on.
    preserve_insertion_order: 'true',
    // Workers read local scratch files that can be replaced at the same path within a second (the
    // partitioned writer's copy of each range it streams). DuckDB's cache of file contents took a
    // replaced file of the same size for the one it had read there and served the old file's
    // pages: "ZSTD Decompression failure", or the old file's rows where they decode.
    enable_external_file_cache: 'false',
  }).then(async (db) => {
    // A TIMESTAMP becomes a TIMESTAMPTZ in the session's zone, which DuckDB takes from the
    // process (TZ): the lake's instants must not move with the machine they are computed on.
    const connection = await db.connect();
    try {
      await connection.run("SET GLOBAL TimeZone = 'UTC'");
    } finally {
      connection.closeSync();
    }
    return db;
  });
  return instance;
}

let tableSeq = 0;

/**
 * A connection to the process-wide DuckDB the native writers use, for the SQL that feeds them
 * (`NativePartitionedWriter.insertQuery`): reading local Parquet files, small lookup tables.
 * Tables it creates live in the shared `main` schema, so every writer's connection sees them;
 * their names come from `tableName` and the caller drops them.
 */
export class NativeSession {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(): Promise<NativeSession> {
    return new NativeSession(await (await sharedInstance()).connect());
  }

  /** A table name no other session or writer of this process uses. */
  static tableName(prefix: string): string {
    if (!/^[a-z_]{1,32}$/.test(prefix)) throw new Error(`invalid table name prefix "${prefix}"`);
    return `${prefix}_${process.pid}_${++tableSeq}`;
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** The query's rows as plain JavaScript values (BIGINT as bigint, TIMESTAMP as Date, lists as arrays). */
  async rows(sql: string): Promise<Array<Record<string, unknown>>> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
  }

  /**
   * The rows of `sql` chunk by chunk (DuckDB's vectors, up to 2,048 rows each), for JavaScript
   * that reads a column or two of many rows without holding them all.
   */
  async *chunks(sql: string): AsyncGenerator<DuckDBDataChunk, void, undefined> {
    const result = await this.connection.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk;
    }
  }

  /** Appends rows to table `name` natively: `append` is called with the table's appender once. */
  async append(name: string, append: (appender: DuckDBAppender) => void): Promise<void> {
    const appender = await this.connection.createAppender(name);
    try {
      append(appender);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Creates table `name (v VARCHAR)` holding `values`, appended natively. */
  async textTable(name: string, values: Iterable<string>): Promise<void> {
    await this.connection.run(`CREATE TABLE ${identifier(name)} (v VARCHAR)`);
    await this.append(name, (appender) => {
      for (const v of values) {
        appender.appendVarchar(v);
        appender.endRow();
      }
    });
  }

  /**
   * Writes the rows of `select` (the columns of `specs` by name) to a lake Parquet file at
   * `path` in one streaming COPY: the types, codec and footer a native writer gives, without
   * holding the rows in a table, so memory follows the row group, not the file. Invalid JSON text
   * is refused naming its row (0-based, in the query's order); the statistics come from the footer
   * DuckDB wrote (`footerStatistics`; bounds only unless `statistics: false`), and a required
   * column holding a null is refused.
   */
  async copyToParquet(select: string, path: string, specs: readonly ColumnSpec[], options: NativeParquetWriteOptions = {}): Promise<ParquetWriteResult> {
    lakeSchema(specs);
    const columns = specs.map((spec) => ({ spec, type: parseColumnType(spec) }));
    const cast = columns.map((c) => `CAST(q.${identifier(c.spec.name)} AS ${duckdbType(c.type)}) AS ${identifier(c.spec.name)}`);
    try {
      let written: Record<string, DuckDBValue>;
      try {
        // RETURN_STATS: the row count and each column's null count and bounds, as DuckDB wrote
        // them to the footer, without reading the file again (that read was ~15% of the COPY).
        [written = {}] = (await this.connection.runAndReadAll(`COPY (SELECT ${cast.join(', ')} FROM (${select}) q) TO ${literal(path)} (${parquetCopyOptions(columns, options)}, RETURN_STATS true)`)).getRowObjects();
      } catch (error) {
        // The cast to JSON refuses invalid text without saying where: find the row (failures only).
        for (const c of columns.filter((x) => x.type.base === 'json')) {
          const col = identifier(c.spec.name);
          const [[row, value] = []] = (
            await this.connection.runAndReadAll(`SELECT n, v FROM (SELECT row_number() OVER () - 1 AS n, ${col}::VARCHAR AS v FROM (${select}) q) WHERE NOT json_valid(v) LIMIT 1`)
          ).getRows();
          if (row !== undefined) invalidJson(c, value, Number(row));
        }
        throw error;
      }
      const withStats = options.statistics !== false;
      const row = await this.footerStatistics(path, columns, written, withStats);
      for (const [i, c] of columns.entries()) {
        if (!c.spec.nullable && Number(row[`n${i}`] ?? 0) > 0) throw new TypeError(`column "${c.spec.name}" is required but ${Number(row[`n${i}`])} rows hold null`);
      }
      const { size } = await stat(path);
      return { rowCount: Number(written.count ?? 0), byteSize: size, columnStats: withStats ? statisticsOf(columns, row) : {} };
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  }

  /**
   * `statisticsSelect`'s aggregates (`n<i>`, `lo<i>`, `hi<i>`) from what `COPY … RETURN_STATS`
   * gave: DuckDB's text of each bound, cast back to its type. A text bound of 256 bytes may be a
   * prefix (DuckDB cuts them there: a cut maximum is below the real one), and a list's null count
   * is its elements': those columns are aggregated from the file instead. Without `bounds`, only
   * the null counts the required columns' check needs.
   */
  private async footerStatistics(path: string, columns: ReadonlyArray<{ spec: ColumnSpec; type: ParsedLakeType }>, written: Record<string, DuckDBValue>, bounds: boolean): Promise<Record<string, DuckDBValue>> {
    const byColumn = new Map<string, Map<string, string>>();
    for (const entry of (written.column_statistics as DuckDBMapValue | undefined)?.entries ?? []) {
      const stats = new Map<string, string>();
      for (const kv of (entry.value as DuckDBMapValue).entries) stats.set(String(kv.key), String(kv.value));
      byColumn.set(String(entry.key), stats);
    }
    const casts: string[] = [];
    const again: Array<{ spec: ColumnSpec; type: ParsedLakeType; i: number }> = [];
    const row: Record<string, DuckDBValue> = {};
    columns.forEach((c, i) => {
      const stats = byColumn.get(identifier(c.spec.name));
      if (!bounds && c.spec.nullable) return;
      const bounded = bounds && boundFilter(c.type, '') !== undefined;
      const cut = (v: string | undefined) => c.type.base === 'string' && v !== undefined && Buffer.byteLength(v) >= 256;
      if (!stats || c.type.base === 'list' || (bounded && (cut(stats.get('min')) || cut(stats.get('max'))))) {
        again.push({ ...c, i });
        return;
      }
      row[`n${i}`] = BigInt(stats.get('null_count') ?? '0');
      if (!bounded) return;
      const min = stats.get('min');
      const max = stats.get('max');
      if (min !== undefined) casts.push(`CAST(${literal(min)} AS ${duckdbType(c.type)}) AS lo${i}`);
      if (max !== undefined) casts.push(`CAST(${literal(max)} AS ${duckdbType(c.type)}) AS hi${i}`);
    });
    if (casts.length > 0) Object.assign(row, (await this.connection.runAndReadAll(`SELECT ${casts.join(', ')}`)).getRowObjects()[0]);
    if (again.length > 0) {
      // Without bounds, the null counts alone (statisticsSelect's `n<k>`).
      const select = bounds ? statisticsSelect(again, true) : again.map((c, k) => `count(*) - count(${identifier(c.spec.name)}) AS n${k}`);
      const [aggregated = {}] = (await this.connection.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${literal(path)})`)).getRowObjects();
      // statisticsSelect numbers them 0..; back to the columns' own positions.
      again.forEach((c, k) => {
        for (const p of ['n', 'lo', 'hi']) if (`${p}${k}` in aggregated) row[`${p}${c.i}`] = aggregated[`${p}${k}`] as DuckDBValue;
      });
    }
    return row;
  }

  async dropTable(name: string): Promise<void> {
    await this.connection.run(`DROP TABLE IF EXISTS ${identifier(name)}`);
  }

  close(): void {
    this.connection.closeSync();
  }
}

/** DuckDB's vectors hold at most this many rows; batches are appended in chunks of it. */
const CHUNK_ROWS = 2048;

/** COPY's compression options per codec; ZSTD at level 1 (see duckdbParquetFormat). */
const CODEC_OPTIONS: Record<ParquetCompression, string> = { zstd: 'COMPRESSION zstd, COMPRESSION_LEVEL 1', snappy: 'COMPRESSION snappy', uncompressed: 'COMPRESSION uncompressed' };

/**
 * A column is dictionary-encoded only while a row group holds at most this many distinct values;
 * past it, format 2's delta encodings. Under DuckDB's own limit, columns of thousands of distinct
 * values (unit and germplasm ids, observation values) got dictionaries: at 1,000, an
 * organization's 130k observations were written in ~20% less time, ~4% smaller (README,
 * Performance). An explicit limit also gives a short column of distinct values (under 1,000
 * rows) a dictionary, which DuckDB's default skips: a few kB at most.
 */
const DICTIONARY_SIZE_LIMIT = 1000;

/**
 * COPY's format options for a lake Parquet file DuckDB writes: Parquet format 2 (data pages v2;
 * delta encodings for integers and text DuckDB does not dictionary-encode, byte-stream-split
 * floats), small dictionaries, and, for ZSTD, level 1: faster to write than format 1 at ZSTD's
 * default level 3 (the baseline's), and smaller (README, Performance). DuckDB, Arrow (pyarrow,
 * polars), Spark 3.3+ and hyparquet read it.
 */
export function duckdbParquetFormat(compression: ParquetCompression = 'zstd'): string {
  const codec = Object.hasOwn(CODEC_OPTIONS, compression) ? CODEC_OPTIONS[compression] : undefined;
  if (codec === undefined) throw new Error(`unknown compression "${String(compression)}" (expected zstd, snappy or uncompressed)`);
  return `FORMAT parquet, PARQUET_VERSION V2, ${codec}, DICTIONARY_SIZE_LIMIT ${DICTIONARY_SIZE_LIMIT}`;
}

interface NativeColumn {
  spec: ColumnSpec;
  type: ParsedLakeType;
  /** Validates `values[start, start + rows)` and sets them as the vector's items 0..rows-1. */
  fill: Filler;
}

type Filler = (vector: DuckDBVector, values: LakeValue[], start: number, rows: number, rowBase: number) => void;

/** Options of a native writer: those of `ParquetFileWriter`, plus whether to compute file statistics. */
export interface NativeParquetWriteOptions extends ParquetWriteOptions {
  /**
   * Compute the file-level column statistics returned by `close()` (one aggregate query).
   * Staging files need none.
   * @defaultValue true
   */
  statistics?: boolean;
  /**
   * How many `onFile` callbacks of a `flush` may run at once (uploads overlap each other and the
   * next file's encoding; each holds one finished file on local disk).
   * @defaultValue 1
   */
  onFileConcurrency?: number;
}

/** Where one file of a `NativePartitionedWriter` goes, and what was written there. */
export interface NativeFileResult extends ParquetWriteResult {
  file: number;
  path: string;
}

/** The hidden column that says which file a row belongs to. */
const FILE_COLUMN = '__lake_file';

/**
 * Writes many Parquet files from one DuckDB table: each batch is appended under a file number
 * the caller chooses, and `flush` writes every file with rows (one `COPY (SELECT … WHERE file =
 * n)` each), after one aggregate pass that validates JSON text and computes every file's
 * statistics. Per file this costs a COPY and nothing else, where a table per file cost a
 * connection, CREATE, DROP and a scan too (many small partition files made that dominate).
 *
 * ```ts
 * const writer = await NativePartitionedWriter.open(specs, { rowGroupSize: 65_536 });
 * await writer.writeBatch(0, batchOfFile0);
 * await writer.writeBatch(1, batchOfFile1);
 * for (const written of await writer.flush((file) => `/tmp/part-${file}.parquet`)) upload(written);
 * await writer.close();
 * ```
 */
export class NativePartitionedWriter {
  private state: 'open' | 'closed' | 'failed' = 'open';
  private busy = false;
  private appender?: DuckDBAppender;
  private chunk?: DuckDBDataChunk;
  private chunkTypes: DuckDBType[] = [];
  /** Rows appended per file since the last flush, in first-seen order. */
  private readonly rows = new Map<number, number>();
  private pending = 0;
  private released = false;

  private table = '';

  private constructor(
    private readonly columns: NativeColumn[],
    private readonly connection: DuckDBConnection,
    private readonly options: NativeParquetWriteOptions,
  ) {}

  /** Opens a writer over a new temporary table with the given columns. */
  static async open(specs: readonly ColumnSpec[], options: NativeParquetWriteOptions = {}): Promise<NativePartitionedWriter> {
    const { rowGroupSize = DEFAULT_ROW_GROUP_SIZE, compression = 'zstd' } = options;
    if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
      throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
    }
    duckdbParquetFormat(compression); // refuses an unknown compression before any table exists
    lakeSchema(specs); // the same column checks as the JavaScript writer (names, types)
    if (specs.some((spec) => spec.name === FILE_COLUMN)) throw new Error(`column name "${FILE_COLUMN}" is reserved by the native writer`);
    const columns = specs.map((spec) => {
      const type = parseColumnType(spec);
      return { spec, type, fill: filler(spec, type) };
    });
    const connection = await (await sharedInstance()).connect();
    const writer = new NativePartitionedWriter(columns, connection, options);
    try {
      await writer.createTable();
      return writer;
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /** Rows appended since the last flush. */
  get pendingRows(): number {
    return this.pending;
  }

  /**
   * Validates a batch and appends it to file `file`. Throws naming the column, row (within its
   * file) and value that do not fit the column's type; the writer is then unusable (`abort()`).
   */
  async writeBatch(file: number, batch: ColumnBatch): Promise<void> {
    this.assertOpen('writeBatch');
    if (!Number.isSafeInteger(file) || file < 0 || file > 2147483647) throw new RangeError(`file must be a non-negative int32, got ${file}`);
    try {
      const columns = this.columnsOf(batch);
      const appender = this.appender as DuckDBAppender;
      const rowBase = this.rows.get(file) ?? 0;
      for (let start = 0; start < batch.rowCount; start += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, batch.rowCount - start);
        // One chunk per table, reset and refilled: a chunk's native memory is freed only when V8
        // collects its small JS wrapper, so a chunk per 2048 rows piled up ~0.5 KB per row
        // outside the heap (350 MB for a 625k-row file) between collections.
        this.chunk ??= DuckDBDataChunk.create(this.chunkTypes);
        const chunk = this.chunk;
        chunk.reset();
        chunk.rowCount = rows;
        for (let c = 0; c < this.columns.length; c++) {
          const vector = chunk.getColumnVector(c);
          (this.columns[c] as NativeColumn).fill(vector, columns[c] as LakeValue[], start, rows, rowBase);
          vector.flush();
        }
        const fileVector = chunk.getColumnVector(this.columns.length);
        for (let i = 0; i < rows; i++) fileVector.setItem(i, file);
        fileVector.flush();
        appender.appendDataChunk(chunk);
      }
      this.rows.set(file, rowBase + batch.rowCount);
      this.pending += batch.rowCount;
    } catch (error) {
      this.state = 'failed';
      throw error;
    }
  }

  /**
   * Appends the rows of a DuckDB query (run on the shared instance, so it may read Parquet files
   * with `read_parquet` and any table of a `NativeSession`) to the writer's files. The query yields
   * the writer's columns by name, already of their types; rows are appended in the order it
   * gives them (it runs twice, so it must be deterministic: read a table, filter, project).
   * Each row goes to the file `fileFor(partition)` names, where `partition` is the row's values
   * of `partitionColumns` as text (`CAST(… AS VARCHAR)`, null as null), asked once per distinct
   * partition. Returns the number of rows appended.
   */
  async insertQuery(select: string, partitionColumns: readonly string[], fileFor: (partition: Array<string | null>) => number): Promise<number> {
    this.assertOpen('insertQuery');
    this.busy = true;
    try {
      // Rows appended before stay ahead of the query's rows.
      this.appender?.flushSync();
      const names = new Set(this.columns.map((c) => c.spec.name));
      for (const c of partitionColumns) if (!names.has(c)) throw new Error(`partition column "${c}" is not a column of the writer`);
      const keys = partitionColumns.map((c, i) => `CAST(${identifier(c)} AS VARCHAR) AS p${i}`);
      const groups = (await this.connection.runAndReadAll(`SELECT ${[...keys, 'count(*) AS n'].join(', ')} FROM (${select}) GROUP BY ALL ORDER BY ALL`)).getRowObjectsJS();
      let inserted = 0;
      const cases: string[] = [];
      const ids: number[] = [];
      for (const g of groups) {
        const partition = partitionColumns.map((_, i) => (g[`p${i}`] ?? null) as string | null);
        const file = fileFor(partition);
        if (!Number.isSafeInteger(file) || file < 0 || file > 2147483647) throw new RangeError(`file must be a non-negative int32, got ${file}`);
        const n = Number(g.n);
        this.rows.set(file, (this.rows.get(file) ?? 0) + n);
        inserted += n;
        const match = partitionColumns.map((c, i) => {
          const v = partition[i];
          return `CAST(q.${identifier(c)} AS VARCHAR) ${v === null || v === undefined ? 'IS NULL' : `= ${literal(v)}`}`;
        });
        cases.push(`WHEN ${match.join(' AND ') || 'TRUE'} THEN ${file}`);
        ids.push(file);
      }
      if (inserted > 0) {
        const columns = this.columns.map((c) => `q.${identifier(c.spec.name)}`).join(', ');
        // Each row's file by a CASE rather than a join: a projection keeps the query's row order
        // without a sort of the wide rows (which outgrew the memory limit with two threads).
        const file = ids.length === 1 ? String(ids[0]) : `CASE ${cases.join(' ')} END`;
        await this.connection.run(`INSERT INTO temp.main.${identifier(this.table)} SELECT ${columns}, ${file} FROM (${select}) q`);
        this.pending += inserted;
      }
      return inserted;
    } catch (error) {
      this.state = 'failed';
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Writes every file that has rows since the last flush (and each of `alsoEmpty` even without
   * rows) to `pathFor(file)`, in the order files were first written to, and empties the table.
   * `onFile` runs after each file is written, before the next (to upload it and free the disk).
   */
  async flush(pathFor: (file: number) => string, onFile?: (written: NativeFileResult) => Promise<void>, alsoEmpty: number[] = []): Promise<NativeFileResult[]> {
    this.assertOpen('flush');
    this.busy = true;
    try {
      (this.appender as DuckDBAppender).closeSync();
      this.appender = undefined;
      const stats = await this.scan();
      const copyOptions = parquetCopyOptions(this.columns, this.options);
      const select = this.columns.map((c) => identifier(c.spec.name)).join(', ');
      const files = [...this.rows.keys(), ...alsoEmpty.filter((f) => !this.rows.has(f))];
      const results: NativeFileResult[] = [];
      // Encoding is quick and serial; `onFile` (an upload) runs for up to `onFileConcurrency`
      // files at once while the next ones are encoded.
      const inFlight = new Set<Promise<void>>();
      let failure: { error: unknown } | undefined;
      const limit = this.options.onFileConcurrency ?? 1;
      for (const file of files) {
        if (failure) break;
        const path = pathFor(file);
        await this.connection.run(`COPY (SELECT ${select} FROM temp.main.${identifier(this.table)} WHERE ${FILE_COLUMN} = ${file}) TO ${literal(path)} (${copyOptions})`);
        const { size } = await stat(path);
        const written = { file, path, rowCount: this.rows.get(file) ?? 0, byteSize: size, columnStats: stats.get(file) ?? this.emptyStats() };
        results.push(written);
        if (!onFile) continue;
        const task: Promise<void> = onFile(written).then(
          () => void inFlight.delete(task),
          (error: unknown) => {
            inFlight.delete(task);
            failure ??= { error };
          },
        );
        inFlight.add(task);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure) throw failure.error;
      // A new table rather than DELETE: deleted rows stay in a DuckDB table (memory, and every
      // later scan reads past them), which made flushes quadratic at 1M rows.
      await this.connection.run(`DROP TABLE temp.main.${identifier(this.table)}`);
      this.rows.clear();
      this.pending = 0;
      await this.createTable();
      return results;
    } catch (error) {
      this.state = 'failed';
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /** Drops the table; rows not flushed are discarded. */
  async close(): Promise<void> {
    this.assertOpen('close');
    this.state = 'closed';
    await this.release();
  }

  /** Releases the table and connection without writing anything. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state === 'open') this.state = 'failed';
    await this.release();
  }

  private async createTable(): Promise<void> {
    this.table = `lake_parquet_${process.pid}_${++tableSeq}`;
    const definition = this.columns.map((c) => `${identifier(c.spec.name)} ${duckdbType(c.type)}${c.spec.nullable ? '' : ' NOT NULL'}`);
    await this.connection.run(`CREATE TEMP TABLE ${identifier(this.table)} (${[...definition, `${FILE_COLUMN} INTEGER NOT NULL`].join(', ')})`);
    this.appender = await this.connection.createAppender(this.table, 'main', 'temp');
    const appender = this.appender;
    this.chunkTypes = Array.from({ length: this.columns.length + 1 }, (_, i) => appender.columnType(i));
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      this.appender?.closeSync();
    } catch {
      // already closed, or its last flush failed: the table is dropped either way
    }
    if (this.table) await this.connection.run(`DROP TABLE IF EXISTS temp.main.${identifier(this.table)}`).catch(() => undefined);
    this.connection.closeSync();
  }

  /** The batch's value arrays in column order, after checking its shape. */
  private columnsOf(batch: ColumnBatch): LakeValue[][] {
    const { rowCount, columns } = batch;
    if (!Number.isSafeInteger(rowCount) || rowCount < 0) throw new RangeError(`batch rowCount must be a non-negative integer, got ${rowCount}`);
    for (const name of Object.keys(columns)) {
      if (!this.columns.some((column) => column.spec.name === name)) throw new Error(`batch has column "${name}", which is not in the file's columns`);
    }
    return this.columns.map(({ spec }) => {
      const values = columns[spec.name];
      if (!values) throw new Error(`batch is missing column "${spec.name}"`);
      if (values.length !== rowCount) throw new Error(`column "${spec.name}" has ${values.length} values, batch rowCount is ${rowCount}`);
      return values;
    });
  }

  private emptyStats(): Record<string, ColumnStats> {
    if (this.options.statistics === false) return {};
    return Object.fromEntries(this.columns.map((c) => [c.spec.name, { nullCount: 0 }]));
  }

  /**
   * One aggregate pass, grouped by file, before anything is written: JSON text is validated
   * natively (`json_valid`, instead of JSON.parse per value; the first bad value is reported with
   * the message `toPhysical` gives), and each file's statistics are computed unless disabled.
   */
  private async scan(): Promise<Map<number, Record<string, ColumnStats>>> {
    const withStats = this.options.statistics !== false;
    const select = statisticsSelect(this.columns, withStats, 'rowid');
    const byFile = new Map<number, Record<string, ColumnStats>>();
    if (select.length === 0 || this.pending === 0) return byFile;
    const table = `temp.main.${identifier(this.table)}`;
    const rows = (await this.connection.runAndReadAll(`SELECT ${FILE_COLUMN} AS f, ${select.join(', ')} FROM ${table} GROUP BY ${FILE_COLUMN}`)).getRowObjects();
    for (const row of rows) {
      for (const [i, c] of this.columns.entries()) {
        const bad = row[`bad${i}`];
        if (bad === null || bad === undefined) continue;
        const col = identifier(c.spec.name);
        const [[value, before] = []] = (
          await this.connection.runAndReadAll(
            `SELECT ${col}::VARCHAR, (SELECT count(*) FROM ${table} WHERE ${FILE_COLUMN} = ${row.f} AND rowid < ${bad}) FROM ${table} WHERE rowid = ${bad}`,
          )
        ).getRows();
        invalidJson(c, value, Number(before));
      }
      if (withStats) byFile.set(Number(row.f), statisticsOf(this.columns, row));
    }
    return byFile;
  }

  private assertOpen(method: string): void {
    if (this.state !== 'open') throw new Error(`${this.constructor.name}.${method}() called on a ${this.state} writer`);
    if (this.busy) throw new Error(`${this.constructor.name}.${method}() called while flush() is still running; await each call`);
  }
}

/**
 * Writes lake column batches to one local Parquet file with DuckDB's encoder.
 *
 * ```ts
 * const writer = await NativeParquetWriter.open(path, specs, { rowGroupSize: 100_000 });
 * for await (const batch of batches) await writer.writeBatch(batch);
 * const { rowCount, byteSize, columnStats } = await writer.close();
 * ```
 * The file appears on `close()`; `abort()` releases the table without writing it.
 */
export class NativeParquetWriter {
  private state: 'open' | 'closed' | 'failed' = 'open';

  private constructor(
    private readonly path: string,
    private readonly files: NativePartitionedWriter,
  ) {}

  /** Opens a writer whose file will be `path` (created or truncated on close). */
  static async open(path: string, specs: readonly ColumnSpec[], options: NativeParquetWriteOptions = {}): Promise<NativeParquetWriter> {
    return new NativeParquetWriter(path, await NativePartitionedWriter.open(specs, options));
  }

  /** Validates a batch and appends it; see `NativePartitionedWriter.writeBatch`. */
  async writeBatch(batch: ColumnBatch): Promise<void> {
    this.assertOpen('writeBatch');
    try {
      await this.files.writeBatch(0, batch);
    } catch (error) {
      this.state = 'failed';
      throw error;
    }
  }

  /** Encodes the file, drops the table, and returns what was written. */
  async close(): Promise<ParquetWriteResult> {
    this.assertOpen('close');
    try {
      const [written] = await this.files.flush(() => this.path, undefined, [0]);
      await this.files.close();
      this.state = 'closed';
      if (!written) throw new Error('the native writer wrote no file');
      return { rowCount: written.rowCount, byteSize: written.byteSize, columnStats: written.columnStats };
    } catch (error) {
      this.state = 'failed';
      await this.files.abort();
      throw error;
    }
  }

  /** Releases the table without writing the file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state === 'open') this.state = 'failed';
    await this.files.abort();
  }

  private assertOpen(method: string): void {
    if (this.state !== 'open') throw new Error(`NativeParquetWriter.${method}() called on a ${this.state} writer`);
  }
}

/** The DuckDB column type of a lake type; its Parquet mapping is the lake's (see parquet-schema.ts). */
export function duckdbType(type: ParsedLakeType): string {
  switch (type.base) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int16':
      return 'SMALLINT';
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float32':
      return 'FLOAT';
    case 'float64':
      return 'DOUBLE';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'string':
      return 'VARCHAR';
    case 'json':
      return 'JSON';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'list':
      return `${duckdbType(type.element as ParsedLakeType)}[]`;
    default:
      throw new Error(`lake type "${type.base}" has no DuckDB mapping`);
  }
}

/**
 * The fill function of a column. The common scalar types are checked inline (the same checks
 * as `toPhysical`, which is called only to throw its message when a check fails); the rest go
 * through `toPhysical` and a DuckDB value. JSON text is checked by DuckDB on close (`json_valid`).
 */
function filler(spec: ColumnSpec, type: ParsedLakeType): Filler {
  const { name, nullable } = spec;
  const fail = (value: LakeValue | undefined, row: number): never => {
    if (value === null || value === undefined) throw new TypeError(`column "${name}" row ${row}: null in a non-nullable column`);
    toPhysical(type, value, { column: name, row });
    throw new TypeError(`column "${name}" row ${row}: ${String(value)} does not fit ${type.base}`);
  };
  const scalar = (ok: (v: LakeValue) => boolean, to: (v: LakeValue) => DuckDBValue = (v) => v as DuckDBValue): Filler => (vector, values, start, rows, rowBase) => {
    for (let i = 0; i < rows; i++) {
      const v = values[start + i];
      if (v === null || v === undefined) {
        if (!nullable) fail(v, rowBase + start + i);
        vector.setItem(i, null);
      } else {
        if (!ok(v)) fail(v, rowBase + start + i);
        vector.setItem(i, to(v));
      }
    }
  };
  const integer = (min: number, max: number) => scalar((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
  switch (type.base) {
    case 'boolean':
      return scalar((v) => typeof v === 'boolean');
    case 'int16':
      return integer(-32768, 32767);
    case 'int32':
      return integer(-2147483648, 2147483647);
    case 'date':
      return scalar((v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647, (v) => new DuckDBDateValue(v as number));
    case 'int64':
      return scalar((v) => typeof v === 'bigint' && BigInt.asIntN(64, v) === v);
    case 'timestamp':
      return scalar((v) => typeof v === 'bigint' && BigInt.asIntN(64, v) === v, (v) => new DuckDBTimestampTZValue(v as bigint));
    case 'float32':
    case 'float64':
      return scalar((v) => typeof v === 'number');
    case 'string':
    case 'json':
      return scalar((v) => typeof v === 'string');
    default: {
      const toDuckDB = converter(type);
      return (vector, values, start, rows, rowBase) => {
        const at = { column: name, row: 0 };
        for (let i = 0; i < rows; i++) {
          at.row = rowBase + start + i;
          const value = toPhysical(type, values[start + i], at);
          if (value === null && !nullable) fail(null, at.row);
          vector.setItem(i, value === null ? null : toDuckDB(value));
        }
      };
    }
  }
}

/** Physical value (as `toPhysical` returns it, already validated) → the value DuckDB's vector takes. */
function converter(type: ParsedLakeType): (value: PhysicalValue) => DuckDBValue {
  switch (type.base) {
    case 'date':
      return (v) => new DuckDBDateValue(v as number);
    case 'timestamp':
      return (v) => new DuckDBTimestampTZValue(v as bigint);
    case 'decimal': {
      const width = type.precision as number;
      const scale = type.scale as number;
      return (v) => new DuckDBDecimalValue(v as bigint, width, scale);
    }
    case 'list': {
      const element = converter(type.element as ParsedLakeType);
      return (v) => new DuckDBListValue((v as PhysicalValue[]).map((item) => (item === null ? null : element(item))));
    }
    default:
      return (v) => v as DuckDBValue;
  }
}

/** COPY's options for a lake Parquet file: codec, row-group size, and the footer with the required columns. */
function parquetCopyOptions(columns: readonly Pick<NativeColumn, 'spec'>[], options: ParquetWriteOptions): string {
  const { rowGroupSize = DEFAULT_ROW_GROUP_SIZE, compression = 'zstd', keyValueMetadata = {} } = options;
  const required = columns.filter((c) => !c.spec.nullable).map((c) => c.spec.name);
  const footer = { ...keyValueMetadata, ...(required.length ? { [REQUIRED_COLUMNS_KEY]: JSON.stringify(required) } : {}) };
  const kv = Object.entries(footer).map(([k, v]) => `${literal(k)}: ${literal(v)}`);
  return [duckdbParquetFormat(compression), `ROW_GROUP_SIZE ${rowGroupSize}`, ...(kv.length ? [`KV_METADATA {${kv.join(', ')}}`] : [])].join(', ');
}

/**
 * The aggregates of one pass over a file's rows: with a `position`, for each JSON column the
 * first row (by position) whose text is not valid JSON (`bad<i>`), and with statistics each column's null
 * count (`n<i>`) and bounds (`lo<i>`, `hi<i>`).
 */
function statisticsSelect(columns: readonly Pick<NativeColumn, 'spec' | 'type'>[], withStats: boolean, position?: string): string[] {
  const select: string[] = [];
  columns.forEach((c, i) => {
    const col = identifier(c.spec.name);
    if (c.type.base === 'json' && position !== undefined) select.push(`min(${position}) FILTER (WHERE NOT json_valid(${col})) AS bad${i}`);
    if (!withStats) return;
    select.push(`count(*) - count(${col}) AS n${i}`);
    const filter = boundFilter(c.type, col);
    if (filter !== undefined) select.push(`min(${col}) ${filter} AS lo${i}`, `max(${col}) ${filter} AS hi${i}`);
  });
  return select;
}

/** Each column's statistics from a row of `statisticsSelect`'s aggregates. */
function statisticsOf(columns: readonly Pick<NativeColumn, 'spec' | 'type'>[], row: Record<string, DuckDBValue>): Record<string, ColumnStats> {
  const stats: Record<string, ColumnStats> = {};
  columns.forEach((c, i) => {
    const s: ColumnStats = { nullCount: Number(row[`n${i}`] ?? 0) };
    const lo = row[`lo${i}`];
    const hi = row[`hi${i}`];
    if (lo !== undefined && lo !== null) s.min = fromStatistic(c.type, lo);
    if (hi !== undefined && hi !== null) s.max = fromStatistic(c.type, hi);
    stats[c.spec.name] = s;
  });
  return stats;
}

/** Throws for JSON text that is not valid, naming the column and row as `toPhysical` does. */
function invalidJson(c: Pick<NativeColumn, 'spec' | 'type'>, value: unknown, row: number): never {
  const at = { column: c.spec.name, row };
  toPhysical(c.type, value as string, at);
  throw new TypeError(`column "${at.column}" row ${at.row}: ${show(value)} is not valid JSON text`);
}

function boundFilter(type: ParsedLakeType, col: string): string | undefined {
  if (type.base === 'json' || type.base === 'list') return undefined;
  if (type.base === 'float32' || type.base === 'float64') return `FILTER (WHERE NOT isnan(${col}))`;
  return '';
}

/** A DuckDB min/max value → the lake representation. */
function fromStatistic(type: ParsedLakeType, value: DuckDBValue): LakeValue {
  if (value instanceof DuckDBDecimalValue) return formatDecimal(value.value, value.scale);
  if (value instanceof DuckDBTimestampTZValue) return value.micros;
  if (value instanceof DuckDBDateValue) return value.days;
  if (type.base === 'int64') return BigInt(value as bigint);
  return value as LakeValue;
}

/** A name quoted for DuckDB SQL. */
export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Text quoted as a DuckDB SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
