/**
 * Row-level deltas (contracts with `incremental: rows`). An incremental run finds, in its
 * snapshot, which rows the base version did not see and which base rows are gone or replaced,
 * without re-reading the rows that did not change:
 *
 * - PostgreSQL scans each organization's rows once and returns only their keys with one flag: was
 *   the row version (and every joined row's) visible to the base version's snapshot? That test is
 *   integer comparisons on `age(xmin)` (source-query.ts, `deltaQueries`).
 * - Those keys are compared with the base version's key index (one `keys` file per layer, less
 *   the keys later layers superseded): base keys no longer present unchanged are superseded
 *   (deleted, updated, moved to another organization, or joining a changed lookup row); keys
 *   flagged changed are staged again, fetched by key. Serial keys are compared in JavaScript, a
 *   bit per unchanged key set while the flags stream (`FlagBits`); other keys by DuckDB anti-joins.
 *
 * When too much changed, or the version already has `maxLayers` layers, the run falls back to a
 * full one (which folds the layers: a full version is layer 0 only).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { DeltaBaseVersion, FileRow } from '@lake/catalog';
import { type Backfill, type DatasetContract, PermanentError, datasetId } from '@lake/contracts';
import { duckdbParquetFormat, duckdbIdentifier as ident, duckdbLiteral as lit, NativeSession } from '@lake/parquet';
import type { PhaseClock } from '@lake/logging';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import pg, { type ClientBase } from 'pg';
import { copyOut } from './pg-copy/index.js';
import { type DeltaBase, deltaBaseQuery, deltaQueries, joinCountsQuery } from './source-query.js';

export interface DeltaLimits {
  /** Layers a version may have before the next run is a full one (readers apply every layer). */
  maxLayers: number;
  /** Share of the base version's rows (superseded + staged) above which a full run is cheaper. */
  maxShare: number;
  /**
   * Base keys compared at once (the anti-join's hash table); more are compared slice by slice.
   * Measured on 5M keys with the workers' 64 MB DuckDB limit: at once +103 MB peak RSS, 1.5 s; in 5
   * slices +60 MB, 1.8 s; in 10 slices +36 MB, 2.7 s.
   */
  sliceKeys: number;
  /**
   * Largest key compared in JavaScript, a bit per key (64M keys: 8 MiB); a scan with a larger or a
   * negative key is compared by DuckDB's anti-joins, slice by slice.
   */
  bitmapMaxKey: number;
}

export const DEFAULT_DELTA_LIMITS: DeltaLimits = { maxLayers: 8, maxShare: 0.1, sliceKeys: 500_000, bitmapMaxKey: 64 * 1024 * 1024 - 1 };

/**
 * Changed rows fetched by one staging query (its keys are one literal array in the SQL text), at
 * most `sliceKeys`: the keys held at once stay bounded however many rows changed.
 */
const STAGE_KEYS = 100_000;

/**
 * A delta scan's flags (`key,unchanged,org` lines of PostgreSQL's CSV) read as they stream from
 * PostgreSQL: a bit per unchanged key and the changed keys per organization. While every key is
 * an integer from 0 to `maxKey` (`dense`, the common case of serial keys), the comparison
 * with the base version's keys is one pass over them in JavaScript; otherwise DuckDB's anti-joins
 * compare (the CSV files are kept either way).
 */
export class FlagBits {
  private bits = new Uint8Array(1 << 16);
  readonly changed = new Map<number | null, number[]>();
  dense = true;
  changedRows = 0;

  constructor(readonly maxKey: number) {}

  /** A reader for one scope's stream (each keeps its own partial line). */
  reader(): { read(chunk: Uint8Array): void; end(): void } {
    let field = 0;
    let digits = 0;
    const v = [0, 0, 0];
    return {
      read: (chunk) => {
        if (!this.dense) return;
        for (let i = 0; i < chunk.length; i++) {
          const b = chunk[i] as number;
          if (b >= 0x30 && b <= 0x39) {
            v[field] = (v[field] as number) * 10 + (b - 0x30);
            digits++;
            if ((v[0] as number) > this.maxKey) this.dense = false;
          } else if (b === 0x2c && field < 2 && digits > 0) {
            field++;
            digits = 0;
          } else if (b === 0x0a && field === 2) {
            this.add(v[0] as number, v[1] as number, digits > 0 ? (v[2] as number) : null);
            field = digits = v[0] = v[1] = v[2] = 0;
          } else {
            // A negative or non-integer key (or anything unexpected): DuckDB compares.
            this.dense = false;
          }
          if (!this.dense) return;
        }
      },
      end: () => {
        if (field !== 0 || digits !== 0) this.dense = false;
      },
    };
  }

  private add(key: number, unchanged: number, org: number | null): void {
    if (unchanged === 1) {
      const byte = key >>> 3;
      if (byte >= this.bits.length) {
        const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
        grown.set(this.bits);
        this.bits = grown;
      }
      this.bits[byte] = (this.bits[byte] as number) | (1 << (key & 7));
      return;
    }
    const keys = this.changed.get(org);
    if (keys) keys.push(key);
    else this.changed.set(org, [key]);
    this.changedRows++;
  }

  /** True when the scan flagged `key` unchanged (present and as the base saw it). */
  unchanged(key: number): boolean {
    return key >= 0 && key >>> 3 < this.bits.length && ((this.bits[key >>> 3] as number) & (1 << (key & 7))) !== 0;
  }

  /** The changed keys per organization, ascending, in comma-separated chunks of at most `size`. */
  chunks(size: number): Map<number | null, Array<{ keys: string; count: number }>> {
    const out = new Map<number | null, Array<{ keys: string; count: number }>>();
    for (const [org, keys] of this.changed) {
      const sorted = Int32Array.from(keys).sort();
      const chunks: Array<{ keys: string; count: number }> = [];
      for (let at = 0; at < sorted.length; at += size) {
        const part = sorted.subarray(at, at + size);
        chunks.push({ keys: part.join(','), count: part.length });
      }
      out.set(org, chunks);
    }
    return out;
  }
}

export interface DeltaScan {
  layer: number;
  /** The base snapshot as this transaction compares with it. */
  deltaBase: DeltaBase;
  /**
   * Per organization scanned (`null`: the whole table), the keys of the rows to stage, in chunks
   * of at most `STAGE_KEYS` (or `sliceKeys`) comma-separated keys (one text each, not a string per key).
   */
  changed: Map<number | null, Array<{ keys: string; count: number }>>;
  changedRows: number;
  baseRows: number;
  /** Per scope, the rows of each joined lookup table now (the next delta compares with them). */
  joinRows: Record<string, number[]>;
  /** Local Parquet file of the superseded keys (`key` BIGINT, `q` BOOLEAN). */
  supersededPath: string;
  supersededLoaded: number;
  supersededQuarantined: number;
  /** How the keys were compared: a bit per key in JavaScript, or DuckDB's anti-joins. */
  compared: 'bits' | 'anti-joins';
}

export interface DeltaScanOptions {
  client: ClientBase;
  contract: DatasetContract;
  base: DeltaBaseVersion;
  scopes: Array<number | undefined>;
  store: ObjectStore;
  layout: StorageLayout;
  /** Prefix of this attempt's local files. */
  tmpPrefix: string;
  /** Partitions the run stages again whatever changed (`lake backfill`). */
  backfill?: Backfill | null;
  limits: DeltaLimits;
  /** The source, for a second connection in the same snapshot (the scans of several scopes split between two). */
  sourceUrl?: string;
  /** Times the scan's parts: `delta-flags` (PostgreSQL), `delta-keys` (the key index fetched), `delta-compare` (DuckDB). */
  clock: PhaseClock;
}

/** How a scope is named in `joinRows`: its organization, or `all`. */
export function scopeName(org: number | undefined): string {
  return org === undefined ? 'all' : String(org);
}

/**
 * Per scope (the extract's organization setting applied), the rows of each joined lookup table;
 * with a base, also those the base saw as they are (`seen`). Nothing without joins.
 */
export async function lookupRows(
  client: ClientBase,
  contract: DatasetContract,
  org: number | undefined,
  into: Record<string, number[]>,
  base?: DeltaBase,
): Promise<number[] | undefined> {
  const counts = joinCountsQuery(contract, base);
  if (!counts) return undefined;
  const row = (await client.query<Record<string, string>>(counts)).rows[0] ?? {};
  into[scopeName(org)] = contract.source.joins.map((_, i) => Number(row[`n${i}`]));
  return contract.source.joins.map((_, i) => Number(row[`s${i}`]));
}

/**
 * The base snapshot's ages as `client`'s transaction counts them: `age()` measures from the
 * transaction's own xid or, read-only, the next xid when it first asks, fixed for the transaction.
 */
async function baseAges(client: ClientBase, txids: string): Promise<DeltaBase> {
  const q = deltaBaseQuery(txids);
  const ages = (await client.query<{ xmin_age: number; xmax_age: number; in_progress: string[] }>(q.text, q.values)).rows[0];
  if (!ages) throw new Error('the source returned no snapshot ages');
  return { xminAge: ages.xmin_age, xmaxAge: ages.xmax_age, inProgress: ages.in_progress };
}

/** A second read-only connection in the snapshot of `client`'s transaction (exported to it). */
async function snapshotConnection(client: ClientBase, url: string): Promise<pg.Client> {
  const id = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id ?? '';
  if (!/^[0-9A-Fa-f-]+$/.test(id)) throw new Error(`unexpected snapshot id "${id}"`);
  const other = new pg.Client({ connectionString: url, application_name: 'bijmantra-lake-extract' });
  await other.connect();
  try {
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await other.query(`SET TRANSACTION SNAPSHOT '${id}'`);
    await other.query("SET LOCAL TimeZone = 'UTC'");
    return other;
  } catch (error) {
    await other.end();
    throw error;
  }
}

/** A delta scan, or why the run is a full one instead. */
export async function scanDelta(opts: DeltaScanOptions): Promise<DeltaScan | { fullBecause: string }> {
  const { client, contract, base } = opts;
  const { maxLayers, maxShare } = opts.limits;
  if (base.layer >= maxLayers) return { fullBecause: `v${base.version} has ${base.layer} delta layers (at most ${maxLayers})` };
  const txids = base.snapshot.txids;
  if (typeof txids !== 'string') return { fullBecause: `v${base.version} recorded no snapshot` };
  const deltaBase = await baseAges(client, txids);
  // An age past 2^31 wraps: a snapshot that old cannot be compared with.
  if (deltaBase.xminAge < 0 || deltaBase.xmaxAge < 0 || deltaBase.xminAge > 1_500_000_000) {
    return { fullBecause: `v${base.version}'s snapshot is too many transactions old to compare with` };
  }

  const local: string[] = [];
  const session = await NativeSession.open();
  let compareFrom: number | undefined;
  try {
    const csvs: string[] = [];
    const flagBits = new FlagBits(opts.limits.bitmapMaxKey);
    const baseJoinRows = (base.snapshot.joinRows ?? {}) as Record<string, number[] | undefined>;
    const joinRows: Record<string, number[]> = {};
    /** One scope's keys and flags into a local CSV, on `on` (a connection in the run's snapshot). */
    const scanScope = async (on: ClientBase, ages: DeltaBase, org: number | undefined) => {
      await on.query("SELECT set_config('app.current_organization_id', $1, true)", [String(org ?? 0)]);
      const was = baseJoinRows[scopeName(org)];
      const seen = await lookupRows(on, contract, org, joinRows, ages);
      const intact = (seen ?? []).map((s, i) => was?.[i] !== undefined && s === was[i]);
      // Every lookup row visible now is one the base saw as it is.
      const asSeen = (seen ?? []).map((s, i) => s === joinRows[scopeName(org)]?.[i]);
      const path = `${opts.tmpPrefix}-flags-${org ?? 'all'}.csv`;
      local.push(path);
      const fd = openSync(path, 'w');
      const reader = flagBits.reader();
      try {
        for await (const chunk of copyOut(on, deltaQueries(contract, org, ages, { backfill: opts.backfill, intact, asSeen }).flags, { format: 'csv' })) {
          writeSync(fd, chunk);
          reader.read(chunk);
        }
        reader.end();
      } finally {
        closeSync(fd);
      }
      csvs.push(path);
    };
    await opts.clock.time('delta-flags', async () => {
      // The scans are PostgreSQL's work, one core each: with several scopes, a second connection in
      // the same snapshot (exported to it) takes scopes from the same queue (5M rows on one
      // connection: 4.0 s).
      const helper = opts.scopes.length > 1 && opts.sourceUrl ? await snapshotConnection(client, opts.sourceUrl) : undefined;
      try {
        // `age()` counts from a point each transaction fixes at its first use: the helper's ages of
        // the base snapshot are its own (other transactions may have started in between).
        const helperAges = helper ? await baseAges(helper, txids) : undefined;
        let next = 0;
        const drain = async (on: ClientBase, ages: DeltaBase) => {
          while (next < opts.scopes.length) await scanScope(on, ages, opts.scopes[next++]);
        };
        // Both finish (or fail) before the connections are used again or closed.
        const settled = await Promise.allSettled([drain(client, deltaBase), ...(helper && helperAges ? [drain(helper, helperAges)] : [])]);
        for (const s of settled) if (s.status === 'rejected') throw s.reason;
      } finally {
        await helper?.end();
      }
    });
    const copies = new Map<FileRow, string>();
    for (const f of [...base.keys, ...base.deletes]) {
      const path = `${opts.tmpPrefix}-base-${copies.size}.parquet`;
      local.push(path);
      await opts.clock.time('delta-keys', async () => pipeline(await opts.store.get(opts.layout.parseKey(`${f.bucket}/${f.path}`)), createWriteStream(path)));
      copies.set(f, path);
    }
    // The base version's keys: each layer's, less those a later layer superseded.
    const index = base.keys
      .map((k) => {
        const later = base.deletes.filter((d) => d.layer > k.layer).map((d) => lit(copies.get(d) as string));
        const keys = `SELECT key, q FROM read_parquet(${lit(copies.get(k) as string)})`;
        return later.length ? `${keys} ANTI JOIN read_parquet([${later.join(', ')}]) d USING (key)` : keys;
      })
      .join(' UNION ALL ');
    compareFrom = performance.now();
    const baseRows = Number((await session.rows(`SELECT count(*) AS n FROM (${index})`))[0]?.n ?? 0);
    const supersededPath = `${opts.tmpPrefix}-superseded.parquet`;
    const tooMany = (share: string) => `${share} of v${base.version}'s rows changed (a delta above ${maxShare * 100}% is a full run)`;
    let changedRows: number;
    let changed: DeltaScan['changed'];
    if (flagBits.dense) {
      changedRows = flagBits.changedRows;
      // Past the share, the run is a full one: no need to find every superseded key.
      const limit = Math.floor(maxShare * Math.max(1, baseRows)) - changedRows;
      if (limit < 0 || !(await supersededByBits(session, index, flagBits, supersededPath, limit))) return { fullBecause: tooMany(`more than ${maxShare * 100}%`) };
      changed = flagBits.chunks(Math.min(STAGE_KEYS, opts.limits.sliceKeys));
    } else {
      ({ changedRows, changed } = await supersededByAntiJoins(session, csvs, index, baseRows, supersededPath, opts, local));
    }
    const [sup] = await session.rows(`SELECT count(*) FILTER (WHERE NOT q) AS loaded, count(*) FILTER (WHERE q) AS quarantined FROM read_parquet(${lit(supersededPath)})`);
    const supersededLoaded = Number(sup?.loaded ?? 0);
    const supersededQuarantined = Number(sup?.quarantined ?? 0);
    if ((changedRows + supersededLoaded + supersededQuarantined) / Math.max(1, baseRows) > maxShare) {
      await rm(supersededPath, { force: true });
      return { fullBecause: tooMany(`${(((changedRows + supersededLoaded + supersededQuarantined) / Math.max(1, baseRows)) * 100).toFixed(1)}%`) };
    }
    return { layer: base.layer + 1, deltaBase, joinRows, changed, changedRows, baseRows, supersededPath, supersededLoaded, supersededQuarantined, compared: flagBits.dense ? 'bits' : 'anti-joins' };
  } finally {
    if (compareFrom !== undefined) opts.clock.add('delta-compare', performance.now() - compareFrom);
    session.close();
    for (const path of local) await rm(path, { force: true, recursive: true });
  }
}

/**
 * The base version's keys the scan did not flag unchanged (`key`, `q`: the row was quarantined),
 * sorted by key, into `path`: one pass over the base keys testing each against the flags' bits.
 * False, and nothing written, past `limit` superseded keys (the run is then a full one).
 */
export async function supersededByBits(session: NativeSession, index: string, bits: FlagBits, path: string, limit: number): Promise<boolean> {
  const keys: number[] = [];
  const quarantined: boolean[] = [];
  // Keys outside the bits' range were never flagged unchanged: all superseded, counted here as -1
  // and written from the index by DuckDB below.
  const inside = `key BETWEEN 0 AND ${bits.maxKey}`;
  let found = 0;
  for await (const chunk of session.chunks(`SELECT CASE WHEN ${inside} THEN CAST(key AS INTEGER) ELSE -1 END AS key, q FROM (${index}) b`)) {
    const key = chunk.getColumnVector(0);
    const q = chunk.getColumnVector(1);
    for (let i = 0; i < chunk.rowCount; i++) {
      const k = key.getItem(i) as number;
      if (bits.unchanged(k)) continue;
      if (++found > limit) return false;
      if (k < 0) continue;
      keys.push(k);
      quarantined.push(q.getItem(i) === true);
    }
  }
  const table = NativeSession.tableName('lake_superseded');
  await session.run(`CREATE TABLE ${ident(table)} (key INTEGER, q BOOLEAN)`);
  try {
    await session.append(table, (appender) => {
      for (let i = 0; i < keys.length; i++) {
        appender.appendInteger(keys[i] as number);
        appender.appendBoolean(quarantined[i] as boolean);
        appender.endRow();
      }
    });
    const outsideRows = `SELECT key, q FROM (${index}) b WHERE NOT (${inside})`;
    await session.run(`COPY (SELECT CAST(key AS BIGINT) AS key, q FROM ${ident(table)} UNION ALL ${outsideRows} ORDER BY key) TO ${lit(path)} (${duckdbParquetFormat('zstd')})`);
  } finally {
    await session.dropTable(table);
  }
  return true;
}

/**
 * The comparison for keys the bits cannot hold (negative, or past `bitmapMaxKey`): both sides
 * split into slices by key residue (a key lands in the same slice on both), each in one pass, and
 * per slice an anti-join whose hash table holds one slice's unchanged keys, `sliceKeys` at a time
 * whatever the table's size (5M at once took the extract from 239 to 283 MB). Writes the
 * superseded keys to `path`; returns the changed rows and their keys per organization.
 */
async function supersededByAntiJoins(
  session: NativeSession,
  csvs: string[],
  index: string,
  baseRows: number,
  path: string,
  opts: DeltaScanOptions,
  local: string[],
): Promise<{ changedRows: number; changed: DeltaScan['changed'] }> {
  const slices = Math.max(1, Math.ceil(baseRows / opts.limits.sliceKeys));
  const sliceOf = (col: string) => (slices === 1 ? '0' : `((${col} % ${slices}) + ${slices}) % ${slices}`);
  /** Writes `select`'s rows (with their slice `s`) into one directory per slice; the files of slice `i` (`*`: all). */
  const split = async (name: string, select: string): Promise<(i: number | '*') => string> => {
    const dir = `${opts.tmpPrefix}-${name}`;
    local.push(dir);
    await session.run(`COPY (${select}) TO ${lit(dir)} (FORMAT parquet, COMPRESSION uncompressed, PARTITION_BY (s), OVERWRITE_OR_IGNORE)`);
    return (i) => `${dir}/s=${i}/*.parquet`;
  };
  // A slice without rows has no directory.
  const exists = async (files: string) => Number((await session.rows(`SELECT count(*) AS n FROM glob(${lit(files)})`))[0]?.n ?? 0) > 0;
  const read = (files: string) => `read_parquet(${lit(files)}, hive_partitioning = false)`;
  // Small read buffers: the extract's DuckDB has a small memory budget (csv-stage.ts reads the same way).
  const flagsCsv =
    `read_csv([${csvs.map(lit).join(', ')}], auto_detect = false, header = false, delim = ',', quote = '"', buffer_size = 4194304, ` +
    `columns = {'key': 'BIGINT', 'unchanged': 'INTEGER', 'org': 'BIGINT'})`;
  const flagSlice = await split('flags', `SELECT key, unchanged, org, ${sliceOf('key')} AS s FROM ${flagsCsv}`).catch((err: Error) => {
    if (/Conversion Error|Could not convert/i.test(err.message)) throw new PermanentError(`${datasetId(opts.contract)}: incremental rows needs an integer key (${err.message})`);
    throw err;
  });
  const flags = (await exists(flagSlice('*'))) ? read(flagSlice('*')) : '(SELECT 0::BIGINT AS key, 0 AS unchanged, 0::BIGINT AS org WHERE false)';
  const changedRows = Number((await session.rows(`SELECT count(*) AS n FROM ${flags} WHERE unchanged = 0`))[0]?.n ?? 0);
  const baseSlice = await split('base', `SELECT b.key, b.q, ${sliceOf('b.key')} AS s FROM (${index}) b`);
  const parts: string[] = [];
  for (let i = 0; i < slices; i++) {
    if (!(await exists(baseSlice(i)))) continue;
    const part = `${opts.tmpPrefix}-superseded-${i}.parquet`;
    local.push(part);
    parts.push(part);
    const kept = (await exists(flagSlice(i))) ? ` ANTI JOIN (SELECT key FROM ${read(flagSlice(i))} WHERE unchanged = 1) c USING (key)` : '';
    await session.run(`COPY (SELECT b.key, b.q FROM ${read(baseSlice(i))} b${kept}) TO ${lit(part)} (FORMAT parquet, COMPRESSION uncompressed)`);
  }
  const superseded = parts.length ? `SELECT key, q FROM read_parquet([${parts.map(lit).join(', ')}])` : 'SELECT 0::BIGINT AS key, false AS q WHERE false';
  await session.run(`COPY (${superseded} ORDER BY key) TO ${lit(path)} (${duckdbParquetFormat('zstd')})`);
  const changed: DeltaScan['changed'] = new Map();
  if (changedRows > 0) {
    const rows = await session.rows(
      `SELECT org, string_agg(CAST(key AS VARCHAR), ',' ORDER BY key) AS keys, count(*) AS n FROM ` +
        `(SELECT org, key, (row_number() OVER (PARTITION BY org ORDER BY key) - 1) // ${Math.min(STAGE_KEYS, opts.limits.sliceKeys)} AS chunk FROM ${flags} WHERE unchanged = 0) ` +
        'GROUP BY org, chunk ORDER BY org, chunk',
    );
    for (const r of rows) {
      const org = r.org === null ? null : Number(r.org);
      changed.set(org, [...(changed.get(org) ?? []), { keys: String(r.keys), count: Number(r.n) }]);
    }
  }
  return { changedRows, changed };
}
