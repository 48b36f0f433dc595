import { type Backfill, type DatasetContract, type DeriveContract, type FieldContract, type JoinContract, type LakeType, PermanentError, datasetId, sourceColumns } from '@lake/contracts';
import type { PgType } from './pg-copy/index.js';

const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

/** Double-quotes an identifier the contract named (`"end"`, `"timestamp"` need it). */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new PermanentError(`invalid SQL identifier "${name}" in contract`);
  return `"${name}"`;
}

interface QueryParts {
  from: string;
  select: string[];
  /** SQL expressions of the partition fields' source columns, in partition_by order. */
  partitionExprs: string[];
  keyExprs: string[];
  /** `xmin` of the main table's row and of every joined row (`t.xmin` first). */
  xminExprs: string[];
  /** Per join: its row's `xmin` and the columns it is joined on (`t.x`, `j0.y`). */
  joined: Array<{ xmin: string; on: string[] }>;
  where: string[];
  /** SQL expression of the contract's cursor column, when it has one. */
  cursorExpr?: string;
  /** The same rows with the joins left to the reader, when every join is a lookup (`LookupJoin`). */
  lookup?: { from: string; select: string[]; joins: LookupJoin[] };
}

/**
 * A join the extract can do itself instead of PostgreSQL: a LEFT JOIN from the main table whose
 * columns are only copied into the staged rows (no filter, partition or derived value reads
 * them). Its table is read once, in the same snapshot and under the same row-level security, and
 * matched to the main table's rows by the reader, instead of being matched and printed per row.
 */
export interface LookupJoin {
  /** The joined table's key columns (`k0`, …) and joined columns (`c0`, …). */
  sql: string;
  /** Pairs of equal columns: the main query's output column and the lookup's key column. */
  on: Array<{ main: string; lookup: string }>;
  /** Each joined column: its name in the staged rows and in the lookup. */
  columns: Array<{ as: string; lookup: string }>;
}

/** What an insert-only extract compares against: the last version's snapshot and largest cursor. */
export interface InsertOnlyBase {
  /** `pg_current_snapshot()` of the base version's extract. */
  txids: string;
  /** Per base partition key, the largest cursor value the base version saw there (PostgreSQL text). */
  watermarks: Record<string, string>;
  /** `pg_snapshot_xmax` of this extract's snapshot: maps 32-bit `xmin` values to `xid8`. */
  xmax8: string;
}

function deriveExpr(derive: DeriveContract, expr: (col: string) => string): string {
  const of = expr(derive.of);
  switch (derive.fn) {
    case 'longitude':
      return `ST_X(${of})`;
    case 'latitude':
      return `ST_Y(${of})`;
    case 'year':
      return `extract(year from ${of})::int4`;
    case 'month':
      // The extract's session runs in UTC, so a timestamptz falls in its UTC month.
      return `to_char(${of}, 'YYYY-MM')`;
  }
}

function queryParts(contract: DatasetContract, organizationId?: number): QueryParts {
  const src = contract.source;
  const joinedAs = new Map<string, string>();
  const aliases = new Map<string, string>();
  const joins: string[] = [];
  const select: string[] = [];
  const xminExprs = ['t.xmin'];
  const joined: QueryParts['joined'] = [];
  src.joins.forEach((j, i) => {
    const alias = `j${i}`;
    const base = j.from === undefined ? 't' : aliases.get(j.from);
    if (!base) throw new PermanentError(`join ${i} of ${datasetId(contract)} names "${j.from}", which is not joined before it`);
    const on = Object.entries(j.on).map(([mine, theirs]) => `${alias}.${quoteIdent(theirs)} = ${base}.${quoteIdent(mine)}`);
    joins.push(`LEFT JOIN ${quoteIdent(j.table)} ${alias} ON ${on.join(' AND ')}`);
    for (const [as, col] of Object.entries(j.columns)) joinedAs.set(as, `${alias}.${quoteIdent(col)}`);
    aliases.set(j.table, alias);
    xminExprs.push(`${alias}.xmin`);
    joined.push({ xmin: `${alias}.xmin`, on: Object.keys(j.on).map((mine) => `${base}.${quoteIdent(mine)}`) });
  });
  /** Joined columns something other than the plain select reads (a filter, partition, derived value). */
  let readsJoins = false;
  const expr = (col: string) => {
    const joinedCol = joinedAs.get(col);
    if (joinedCol) readsJoins = true;
    return joinedCol ?? `t.${quoteIdent(col)}`;
  };
  const own = sourceColumns(contract).filter((c) => !joinedAs.has(c)).map((c) => `t.${quoteIdent(c)}`);
  const fieldExpr = (f: FieldContract) => (f.derive ? deriveExpr(f.derive, expr) : expr(f.source));
  const derived = contract.fields.filter((f) => f.derive).map((f) => `${fieldExpr(f)} AS ${quoteIdent(f.name)}`);
  select.push(...own, ...[...joinedAs].map(([as, e]) => `${e} AS ${quoteIdent(as)}`), ...derived);
  const partitionExprs = src.partition_by.map((name) => {
    const field = contract.fields.find((f) => f.name === name);
    if (!field) throw new PermanentError(`partition field "${name}" is not in the contract`);
    return fieldExpr(field);
  });
  const where: string[] = [];
  if (organizationId !== undefined && src.org_scope) {
    if (!Number.isSafeInteger(organizationId)) throw new PermanentError(`invalid organization id ${organizationId}`);
    where.push(`${expr(src.org_scope)} = ${organizationId}`);
  }
  let from = `${quoteIdent(src.table)} t`;
  if (src.read_through) {
    // The function returns the table's rows as a composite plus each row's xmin, so fingerprints
    // see updates even where the application forgot updated_at.
    if (organizationId === undefined) throw new PermanentError(`${datasetId(contract)} is read through ${src.read_through}(org): an organization is required`);
    from = `(SELECT (f.r).*, f.row_xmin AS xmin FROM ${quoteIdent(src.read_through)}(${organizationId}) f) t`;
  }
  const cursorExpr = src.cursor ? expr(src.cursor) : undefined;
  return {
    from: `${from} ${joins.join(' ')}`.trim(),
    select,
    partitionExprs,
    keyExprs: src.key.map((k) => `t.${quoteIdent(k)}`),
    xminExprs,
    joined,
    where,
    cursorExpr,
    lookup: src.joins.length > 0 && !readsJoins && src.joins.every((j) => j.from === undefined) ? lookupParts(src.joins, from, own, derived) : undefined,
  };
}

/**
 * The main table's query without its joins (its own columns, a key column they lack under a name
 * of its own, derived values, which read no join here), and each join as a lookup.
 */
function lookupParts(joins: JoinContract[], from: string, own: string[], derived: string[]): NonNullable<QueryParts['lookup']> {
  const keys: string[] = [];
  const lookups = joins.map((j, i): LookupJoin => {
    const on = Object.entries(j.on).map(([mine, theirs], k) => {
      const column = `t.${quoteIdent(mine)}`;
      if (own.includes(column)) return { main: mine, lookup: `k${k}`, theirs };
      const hidden = `__lookup_j${i}_k${k}`;
      keys.push(`${column} AS ${quoteIdent(hidden)}`);
      return { main: hidden, lookup: `k${k}`, theirs };
    });
    const columns = Object.entries(j.columns).map(([as, col], c) => ({ as, lookup: `c${c}`, col }));
    const list = [...on.map((o) => `j.${quoteIdent(o.theirs)} AS ${o.lookup}`), ...columns.map((c) => `j.${quoteIdent(c.col)} AS ${c.lookup}`)];
    return {
      sql: `SELECT ${list.join(', ')} FROM ${quoteIdent(j.table)} j`,
      on: on.map(({ main, lookup }) => ({ main, lookup })),
      columns: columns.map(({ as, lookup }) => ({ as, lookup })),
    };
  });
  return { from, select: [...own, ...keys, ...derived], joins: lookups };
}

/** The partition identity the source computes: `["1", "35"]` (values as text, null as null). */
function partitionKeyExpr(parts: QueryParts): string {
  return parts.partitionExprs.length === 0 ? "'[]'" : `jsonb_build_array(${parts.partitionExprs.map((e) => `${e}::text`).join(', ')})::text`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The SELECT an extract runs for one contract: the main table's columns the contract reads, its
 * joined lookup columns and derived values (point coordinates, time partitions), scoped to one
 * organization when the contract has an org scope (directly or through a parent), and
 * (incremental runs) to the partitions that changed. Rows come ordered by partition, so the
 * transform can finish one partition's file before starting the next.
 * RLS applies as well (the extractor is an ordinary role with `app.current_organization_id` set):
 * the explicit filter also covers tables whose RLS has no policy.
 */
export function sourceQuery(
  contract: DatasetContract,
  organizationId?: number,
  partitionKeys?: string[],
  append?: { keys: string[]; base: InsertOnlyBase },
): string {
  const parts = queryParts(contract, organizationId);
  return selectRows(contract, parts, parts.from, parts.select, partitionKeys, append);
}

/**
 * `sourceQuery` with its joins left to the reader, when every join is a lookup (`LookupJoin`):
 * the same rows without the joined columns (and with any key column the select lacked), and
 * the lookups that give the joined columns back.
 */
export function sourceQueryWithLookups(
  contract: DatasetContract,
  organizationId?: number,
  partitionKeys?: string[],
  append?: { keys: string[]; base: InsertOnlyBase },
): { sql: string; joins: LookupJoin[] } | undefined {
  const parts = queryParts(contract, organizationId);
  if (!parts.lookup) return undefined;
  return { sql: selectRows(contract, parts, parts.lookup.from, parts.lookup.select, partitionKeys, append), joins: parts.lookup.joins };
}

function selectRows(
  contract: DatasetContract,
  parts: QueryParts,
  from: string,
  select: string[],
  partitionKeys?: string[],
  append?: { keys: string[]; base: InsertOnlyBase },
): string {
  const where = [...parts.where];
  const inKeys = (keys: string[]) => `${partitionKeyExpr(parts)} IN (${keys.length ? keys.map(sqlString).join(', ') : 'NULL'})`;
  if (append && append.keys.length > 0) {
    // Appended partitions stage only the rows their base version did not see (insert-only tables).
    const fresh = freshRowPredicate(contract, parts, append.base);
    where.push(`(${partitionKeys ? `${inKeys(partitionKeys)} OR ` : ''}(${inKeys(append.keys)} AND ${fresh}))`);
  } else if (partitionKeys) {
    where.push(inKeys(partitionKeys));
  }
  // Ordered by partition only: within one, rows come as PostgreSQL reads them (for an
  // organization's partition, the organization's rows in table order, streamed as they are
  // read). Ordering by key as well made PostgreSQL sort each organization's rows (on disk, past
  // work_mem) before sending the first: nothing downstream needs key order.
  const order = parts.partitionExprs.length ? ` ORDER BY ${parts.partitionExprs.join(', ')}` : '';
  return `SELECT ${select.join(', ')} FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${order}`;
}

/**
 * An insert-only row the base version did not see although it lies within `overlap` of the
 * largest cursor the base version saw in its partition: a late arrival or a late commit. Per
 * partition, so a device that was offline and uploads its backlog late is still caught; rows of
 * partitions the base did not have all count (their partitions are new anyway).
 */
function freshRowPredicate(contract: DatasetContract, parts: QueryParts, base: InsertOnlyBase): string {
  const overlap = contract.source.overlap as string;
  if (!parts.cursorExpr) throw new PermanentError(`${datasetId(contract)} is insert-only but has no cursor`);
  if (!/^[1-9][0-9]{0,5} (minutes|hours|days)$/.test(overlap)) throw new PermanentError(`invalid overlap "${overlap}"`);
  if (!/^[0-9]+$/.test(base.xmax8)) throw new PermanentError(`invalid snapshot xmax "${base.xmax8}"`);
  const mark = `coalesce(${sqlString(JSON.stringify(base.watermarks))}::jsonb ->> ${partitionKeyExpr(parts)}, '-infinity')::timestamptz`;
  const window = `(${parts.cursorExpr})::timestamptz + interval ${sqlString(overlap)} >= ${mark}`;
  const unseen = `NOT pg_visible_in_snapshot(${xid8Expr('t.xmin', base.xmax8)}, ${sqlString(base.txids)}::pg_snapshot)`;
  return `(${window} AND ${unseen})`;
}

/**
 * What a row-level delta compares against: the base version's snapshot, as ages in this
 * extract's transaction (`age(xid)`: transactions since, stable within a transaction), so each
 * row's test is integer comparisons on `age(xmin)` instead of an `xid8` built through text.
 */
export interface DeltaBase {
  /** `age()` of the base snapshot's xmin: rows whose `xmin` is older were all visible to it. */
  xminAge: number;
  /** `age()` of the base snapshot's xmax: rows whose `xmin` is this old or younger were not. */
  xmaxAge: number;
  /** Transactions in progress at the base snapshot (between xmin and xmax; invisible to it). */
  inProgress: string[];
}

/** The `DeltaBase` of a base snapshot (`pg_current_snapshot()` text), computed in the extract's transaction. */
export function deltaBaseQuery(txids: string): { text: string; values: string[] } {
  if (!/^[0-9]+:[0-9]+:[0-9,]*$/.test(txids)) throw new PermanentError(`invalid base snapshot "${txids}"`);
  return {
    text: `SELECT age(xid(pg_snapshot_xmin(s))) AS xmin_age, age(xid(pg_snapshot_xmax(s))) AS xmax_age,
             coalesce((SELECT array_agg(xid(x)::text) FROM pg_snapshot_xip(s) x), '{}') AS in_progress
           FROM (SELECT $1::pg_snapshot AS s) b`,
    values: [txids],
  };
}

/**
 * A row exactly as the base version saw it: its row version and every joined row's were visible
 * to the base snapshot. A row whose lookup row is missing (its join columns set, no row joined:
 * deleted, or hidden by the lookup table's RLS) is unchanged only when `intact[i]` says no row of
 * that lookup table the base saw is gone since: a deleted lookup row leaves no `xmin` behind.
 */
function unchangedPredicate(parts: QueryParts, base: DeltaBase, intact: boolean[] = [], asSeen: boolean[] = []): string {
  const seen = seenExpr(base);
  const terms = [seen('t.xmin')];
  parts.joined.forEach((j, i) => {
    // A lookup table whose every row the base saw as it is, none gone: nothing to test per row (and
    // no join for PostgreSQL to make).
    if (asSeen[i] && intact[i]) return;
    const missing = intact[i] ? 'true' : j.on.map((c) => `${c} IS NULL`).join(' OR ');
    terms.push(`(CASE WHEN ${j.xmin} IS NULL THEN ${missing} ELSE ${seen(j.xmin)} END)`);
  });
  return terms.join(' AND ');
}

/**
 * Rows of each joined lookup table visible in this organization's scope (`n0`, `n1`, …) and, given
 * a base, how many of them the base snapshot saw as they are (`s0`, …). Rows the base saw less
 * rows it saw still there is the lookup rows deleted or updated since: when 0, a row whose lookup
 * row is missing was missing at the base too.
 */
export function joinCountsQuery(contract: DatasetContract, base?: DeltaBase): string | undefined {
  if (contract.source.joins.length === 0) return undefined;
  const cols = contract.source.joins.flatMap((j, i) => {
    const n = `(SELECT count(*) FROM ${quoteIdent(j.table)})::int8 AS n${i}`;
    return base ? [n, `(SELECT count(*) FROM ${quoteIdent(j.table)} l WHERE ${seenExpr(base)('l.xmin')})::int8 AS s${i}`] : [n];
  });
  return `SELECT ${cols.join(', ')}`;
}

/** `age()` comparisons that say whether a row version was visible to the base snapshot. */
function seenExpr(base: DeltaBase): (xmin: string) => string {
  if (!Number.isSafeInteger(base.xminAge) || !Number.isSafeInteger(base.xmaxAge) || base.inProgress.some((x) => !/^[0-9]+$/.test(x))) {
    throw new PermanentError(`invalid base snapshot ${JSON.stringify(base)}`);
  }
  // Older than the base's xmax, and either older than its xmin or not in progress then.
  const inProgress = base.inProgress.length ? `'{${base.inProgress.join(',')}}'::xid[]` : undefined;
  return (xmin) => `(age(${xmin}) > ${base.xmaxAge} AND (age(${xmin}) > ${base.xminAge}${inProgress ? ` OR NOT ${xmin} = ANY(${inProgress})` : ''}))`;
}

/**
 * A delta run's queries for one organization (or the whole table): every row's key with whether
 * the base version saw the row as it is (`flags`), and the rows of given keys (`byKeys`: those the
 * base did not see — new, updated, moved in, or joining an updated lookup row — fetched again).
 * Unordered: a delta layer is not partitioned, and an ORDER BY made PostgreSQL walk an index over
 * the whole table joining row by row.
 */
export function deltaQueries(
  contract: DatasetContract,
  organizationId: number | undefined,
  base: DeltaBase,
  opts: { backfill?: Backfill | null; intact?: boolean[]; asSeen?: boolean[] } = {},
): { flags: string; byKeys: (keys: string) => string } {
  const parts = queryParts(contract, organizationId);
  const rowsSeen = unchangedPredicate(parts, base, opts.intact, opts.asSeen);
  // A backfill's partitions are staged again whatever their rows' versions say.
  const unchanged = opts.backfill ? `${rowsSeen} AND NOT ${backfillPredicate(contract, parts, opts.backfill)}` : rowsSeen;
  const where = (extra: string[]) => {
    const all = [...parts.where, ...extra];
    return all.length ? ` WHERE ${all.join(' AND ')}` : '';
  };
  return {
    // Every row's key, whether the base saw it as it is (1/0), and the organization scanned.
    flags: `SELECT ${parts.keyExprs.join(', ')}, (${unchanged})::int AS unchanged, ${organizationId ?? 'NULL'}::int8 AS org FROM ${parts.from}${where([])}`,
    // `keys`: comma-separated integers.
    byKeys: (keys) => {
      if (!/^-?[0-9]{1,19}(,-?[0-9]{1,19})*$/.test(keys)) throw new PermanentError(`${datasetId(contract)}: a delta key is not an integer`);
      return `SELECT ${parts.select.join(', ')} FROM ${parts.from}${where([`${parts.keyExprs[0]} = ANY('{${keys}}'::int8[])`])}`;
    },
  };
}

/**
 * The rows of the partitions a backfill names (backfill.ts, `backfillMatcher`, says the same of
 * partitions): integer fields compare as numbers, others as text.
 */
function backfillPredicate(contract: DatasetContract, parts: QueryParts, backfill: Backfill): string {
  const exprOf = (field: string) => {
    const i = contract.source.partition_by.indexOf(field);
    if (i < 0) throw new PermanentError(`${datasetId(contract)} is partitioned by ${contract.source.partition_by.join(', ') || 'nothing'}; a backfill cannot select by ${field}`);
    return parts.partitionExprs[i] as string;
  };
  const integer = (field: string) => INTEGER_TYPES.has(contract.fields.find((f) => f.name === field)?.type ?? '');
  const bound = (field: string, op: '>=' | '<=', value: string) =>
    integer(field) && /^-?[0-9]{1,18}$/.test(value) ? `(${exprOf(field)})::int8 ${op} ${value}` : `(${exprOf(field)})::text COLLATE "C" ${op} ${sqlString(value)}`;
  const terms: string[] = [];
  if (backfill.field !== undefined) {
    if (backfill.from !== undefined || backfill.to !== undefined) terms.push(`${exprOf(backfill.field)} IS NOT NULL`);
    if (backfill.from !== undefined) terms.push(bound(backfill.field, '>=', backfill.from));
    if (backfill.to !== undefined) terms.push(bound(backfill.field, '<=', backfill.to));
  }
  if (backfill.partitions && backfill.partitions.length > 0) {
    const one = (want: Record<string, string | null>) =>
      Object.entries(want).map(([f, v]) => (v === null ? `${exprOf(f)} IS NULL` : `(${exprOf(f)})::text = ${sqlString(v)}`)).join(' AND ') || 'true';
    terms.push(`(${backfill.partitions.map((p) => `(${one(p)})`).join(' OR ')})`);
  }
  return `coalesce(${terms.length ? terms.join(' AND ') : 'true'}, false)`;
}

/** The joined rows' part of an insert-only fingerprint (`count:xmins…:cursor`). */
export function insertOnlyJoinedPart(contract: DatasetContract, fingerprint: string): string {
  return fingerprint.split(':').slice(1, 1 + contract.source.joins.length).join(':');
}

/** The base partition's largest cursor, the last part of an insert-only fingerprint (`count:xmins…:cursor`). */
export function insertOnlyWatermark(contract: DatasetContract, fingerprint: string): string {
  return fingerprint.split(':').slice(1 + contract.source.joins.length).join(':');
}

/** `xmin` (32-bit, wrapping) as the `xid8` it stands for, relative to a snapshot's xmax. */
function xid8Expr(xmin: string, xmax8: string): string {
  const x = `(${xmin}::text::int8)`;
  const epoch = `((${xmax8}::int8 >> 32) << 32)`;
  return `(CASE WHEN ${epoch} + ${x} > ${xmax8}::int8 THEN ${epoch} + ${x} - 4294967296 ELSE ${epoch} + ${x} END)::text::xid8`;
}

/** Lake types of partition fields whose source values group as they are (see `fingerprintQuery`). */
const INTEGER_TYPES = new Set<string>(['int16', 'int32', 'int64']);

/**
 * Per-partition fingerprints computed inside PostgreSQL, without moving rows.
 *
 * Mutable tables: `count:hash`, the row count and the `bit_xor` of one 64-bit hash per row over
 * its key and the `xmin` of its row version and of every joined lookup row. Every change to a row
 * changes its hash: an insert or delete adds or removes one (and changes the count), a row moving
 * between partitions leaves one and enters the other, and any UPDATE, even one that forgot
 * `updated_at` or wrote the same values, writes a new row version with a new transaction id; so
 * does an update of a joined row, for every row that joins it. A transaction that commits after a
 * run's snapshot changes them at the next run. No largest cursor: a cursor changes only with its
 * row's (or joined row's) `xmin`.
 * Why one hash per row and not separate sums or xors per column: a joined row's `xmin` is the same
 * on every row that joins it, so an xor per column cancels when an even number of a partition's
 * rows join an updated lookup row. Keys are unique, so no two rows hash the same input, and a new
 * row version's `xmin` has not been seen before (until the 32-bit counter wraps), so every change
 * replaces a row's hash by an unrelated one: a partition's xor stays the same by chance only
 * (about 2^-64). `hash_record_extended` combines its columns' hashes linearly (`31 * h + e`);
 * `hashint4extended(0, seed)` then mixes all 64 bits of the result, so that rows sharing a change
 * do not change their hashes in correlated bits. Everything stays int8: no numeric sums, no text
 * per row. A fingerprint of an older format differs from every new one: the first run after a
 * change of format re-extracts every partition once.
 *
 * Insert-only tables (`mode: insert_only`): row count (deletes, which come only with a parent),
 * largest cursor and the joined rows' newest `xmin` (an updated parent has a newer one); plus `fresh_rows`: how many rows whose cursor
 * lies within `overlap` of the base version's largest cursor were not visible to the base
 * version's snapshot (late arrivals, transactions that committed after the last run). Only that
 * window's rows are checked row by row. A partition whose count grew by exactly its fresh rows,
 * joined rows unchanged, only gained rows: the run stages just those and appends them.
 *
 * Rows are grouped by the partition values themselves and the partition key text is built once
 * per partition (not a jsonb per row); the key is the same text `partitionKeyExpr` gives each of
 * its rows. Integer fields (integer columns or expressions) group by their value: equal integers
 * print the same. String fields group by their text's bytes (`COLLATE "C"`: a column's collation
 * may call different texts equal).
 */
export function fingerprintQuery(contract: DatasetContract, organizationId?: number, insertOnly?: InsertOnlyBase): string {
  const parts = queryParts(contract, organizationId);
  let fp: string;
  let freshRows = '0';
  if (contract.source.mode === 'insert_only') {
    // Joined rows by their newest row version, not a sum: a sum grows with every appended row.
    const maxXmin = (x: string) => `coalesce(max((${x}::text)::int8), 0)::text`;
    const cursor = parts.cursorExpr ? `coalesce(max(${parts.cursorExpr})::text, '')` : "''";
    fp = ['count(*)::text', ...parts.xminExprs.slice(1).map(maxXmin), cursor].join(" || ':' || ");
    if (insertOnly && parts.cursorExpr) {
      freshRows = `count(*) FILTER (WHERE ${freshRowPredicate(contract, parts, insertOnly)})`;
    }
  } else if (contract.source.incremental === 'rows') {
    // Row-level deltas compare keys with the key index, never partition fingerprints: a full run
    // needs only the counts (no hash of every row; PostgreSQL drops the unused lookup joins).
    fp = 'count(*)::text';
  } else {
    const rowHash = `hashint4extended(0, hash_record_extended(ROW(${[...parts.keyExprs, ...parts.xminExprs].join(', ')}), 0))`;
    fp = `count(*)::text || ':' || bit_xor(${rowHash})::text`;
  }
  const fields = contract.source.partition_by.map((name) => contract.fields.find((f) => f.name === name)?.type);
  const groups = parts.partitionExprs.length === 0 ? ["'[]'::text"] : parts.partitionExprs.map((e, i) => (INTEGER_TYPES.has(fields[i] ?? '') ? e : `(${e})::text COLLATE "C"`));
  const key = parts.partitionExprs.length === 0 ? 'g.p0' : `jsonb_build_array(${groups.map((_, i) => `g.p${i}::text`).join(', ')})::text`;
  const where = parts.where.length ? ` WHERE ${parts.where.join(' AND ')}` : '';
  const inner = `SELECT ${groups.map((e, i) => `${e} AS p${i}`).join(', ')}, count(*)::int8 AS rows, ${fp} AS fingerprint, ${freshRows}::int8 AS fresh_rows FROM ${parts.from}${where} GROUP BY ${groups.map((_, i) => i + 1).join(', ')}`;
  return `SELECT ${key} AS key, g.rows, g.fingerprint, g.fresh_rows FROM (${inner}) g ORDER BY 1`;
}

/** The lake type a staged PostgreSQL column is written as (numeric stays exact, as text). */
export function stagingType(pgType: PgType): LakeType {
  switch (pgType) {
    case 'int2':
      return 'int16';
    case 'int4':
      return 'int32';
    case 'int8':
      return 'int64';
    case 'float4':
      return 'float32';
    case 'float8':
      return 'float64';
    case 'bool':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'json':
    case 'jsonb':
      return 'json';
    case 'int4[]':
      return 'list<int32>';
    case 'int8[]':
      return 'list<int64>';
    case 'float8[]':
      return 'list<float64>';
    case 'text[]':
      return 'list<string>';
    default:
      return 'string';
  }
}
