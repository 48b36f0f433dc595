/**
 * Row-level deltas (contracts with `incremental: rows`). An incremental run finds, in its
 * snapshot, which rows the base version did not see and which base rows are gone or replaced,
 * without re-reading the rows that did not change:
 *
 * - PostgreSQL scans each organization's rows once and returns only their keys with one flag: was
 *   the row version (and every joined row's) visible to the base version's snapshot? That test is
 *   integer comparisons on `age(xmin)` (source-query.ts, `deltaQueries`).
 * - DuckDB compares those keys with the base version's key index (one `keys` file per layer,
 *   less the keys later layers superseded): base keys no longer present unchanged are superseded
 *   (deleted, updated, moved to another organization, or joining a changed lookup row); keys
 *   flagged changed are staged again, fetched by key.
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
import { duckdbLiteral as lit, NativeSession } from '@lake/parquet';
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
}

export const DEFAULT_DELTA_LIMITS: DeltaLimits = { maxLayers: 8, maxShare: 0.1, sliceKeys: 500_000 };

/**
 * Changed rows fetched by one staging query (its keys are one literal array in the SQL text), at
 * most `sliceKeys`: the keys held at once stay bounded however many rows changed.
 */
const STAGE_KEYS = 100_000;

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
      try {
        for await (const chunk of copyOut(on, deltaQueries(contract, org, ages, { backfill: opts.backfill, intact, asSeen }).flags, { format: 'csv' })) writeSync(fd, chunk);
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
    // Both sides are split into slices by key residue (a key lands in the same slice on both), each
    // in one pass: the anti-join builds a hash table of one slice's unchanged keys, `sliceKeys` at a
    // time whatever the table's size (5M at once took the extract from 239 to 283 MB).
    compareFrom = performance.now();
    const baseRows = Number((await session.rows(`SELECT count(*) AS n FROM (${index})`))[0]?.n ?? 0);
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
      if (/Conversion Error|Could not convert/i.test(err.message)) throw new PermanentError(`${datasetId(contract)}: incremental rows needs an integer key (${err.message})`);
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
    const supersededPath = `${opts.tmpPrefix}-superseded.parquet`;
    const superseded = parts.length ? `SELECT key, q FROM read_parquet([${parts.map(lit).join(', ')}])` : 'SELECT 0::BIGINT AS key, false AS q WHERE false';
    await session.run(`COPY (${superseded} ORDER BY key) TO ${lit(supersededPath)} (FORMAT parquet, COMPRESSION zstd)`);
    const [sup] = await session.rows(`SELECT count(*) FILTER (WHERE NOT q) AS loaded, count(*) FILTER (WHERE q) AS quarantined FROM read_parquet(${lit(supersededPath)})`);
    const supersededLoaded = Number(sup?.loaded ?? 0);
    const supersededQuarantined = Number(sup?.quarantined ?? 0);
    const share = (changedRows + supersededLoaded + supersededQuarantined) / Math.max(1, baseRows);
    if (share > maxShare) {
      await rm(supersededPath, { force: true });
      return { fullBecause: `${(share * 100).toFixed(1)}% of v${base.version}'s rows changed (a delta above ${maxShare * 100}% is a full run)` };
    }
    const changed = new Map<number | null, Array<{ keys: string; count: number }>>();
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
    return { layer: base.layer + 1, deltaBase, joinRows, changed, changedRows, baseRows, supersededPath, supersededLoaded, supersededQuarantined };
  } finally {
    if (compareFrom !== undefined) opts.clock.add('delta-compare', performance.now() - compareFrom);
    session.close();
    for (const path of local) await rm(path, { force: true, recursive: true });
  }
}
