import { type DatasetContract, type LakeType, PermanentError, sourceColumns } from '@lake/contracts';
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
  xminExprs: string[];
  where: string[];
}

function queryParts(contract: DatasetContract, organizationId?: number): QueryParts {
  const src = contract.source;
  const joinedAs = new Map<string, string>();
  const joins: string[] = [];
  const select: string[] = [];
  const xminExprs = ['t.xmin'];
  src.joins.forEach((j, i) => {
    const alias = `j${i}`;
    const on = Object.entries(j.on).map(([mine, theirs]) => `${alias}.${quoteIdent(theirs)} = t.${quoteIdent(mine)}`);
    joins.push(`LEFT JOIN ${quoteIdent(j.table)} ${alias} ON ${on.join(' AND ')}`);
    for (const [as, col] of Object.entries(j.columns)) joinedAs.set(as, `${alias}.${quoteIdent(col)}`);
    xminExprs.push(`${alias}.xmin`);
  });
  const expr = (col: string) => joinedAs.get(col) ?? `t.${quoteIdent(col)}`;
  for (const c of sourceColumns(contract).filter((c) => !joinedAs.has(c))) select.push(`t.${quoteIdent(c)}`);
  for (const [as, e] of joinedAs) select.push(`${e} AS ${quoteIdent(as)}`);
  const partitionExprs = src.partition_by.map((name) => {
    const field = contract.fields.find((f) => f.name === name);
    if (!field) throw new PermanentError(`partition field "${name}" is not in the contract`);
    return expr(field.source);
  });
  const where: string[] = [];
  if (organizationId !== undefined && src.org_scope) {
    if (!Number.isSafeInteger(organizationId)) throw new PermanentError(`invalid organization id ${organizationId}`);
    where.push(`t.${quoteIdent(src.org_scope)} = ${organizationId}`);
  }
  return { from: `${quoteIdent(src.table)} t ${joins.join(' ')}`.trim(), select, partitionExprs, keyExprs: src.key.map((k) => `t.${quoteIdent(k)}`), xminExprs, where };
}

/** The partition identity the source computes: `["1", "35"]` (values as text, null as null). */
function partitionKeyExpr(parts: QueryParts): string {
  return parts.partitionExprs.length === 0 ? "'[]'" : `jsonb_build_array(${parts.partitionExprs.map((e) => `${e}::text`).join(', ')})::text`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The SELECT an extract runs for one contract: the main table's columns the contract reads plus
 * its joined lookup columns, scoped to one organization when the contract has an org scope, and
 * (incremental runs) to the partitions that changed. Rows come ordered by partition, so the
 * transform can finish one partition's file before starting the next.
 * RLS applies as well (the extractor is an ordinary role with `app.current_organization_id` set):
 * the explicit filter also covers tables whose RLS has no policy.
 */
export function sourceQuery(contract: DatasetContract, organizationId?: number, partitionKeys?: string[]): string {
  const parts = queryParts(contract, organizationId);
  const where = [...parts.where];
  if (partitionKeys) where.push(`${partitionKeyExpr(parts)} IN (${partitionKeys.length ? partitionKeys.map(sqlString).join(', ') : 'NULL'})`);
  const order = [...parts.partitionExprs, ...parts.keyExprs];
  return `SELECT ${parts.select.join(', ')} FROM ${parts.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.join(', ')}`;
}

/**
 * Per-partition fingerprints computed inside PostgreSQL, without moving rows: row count, the sum
 * of key hashes (inserts, deletes, rows moving between partitions), the sum of the row versions'
 * `xmin` of the table and of every joined lookup row (any UPDATE writes a new row version with a
 * newer transaction id, even when the application forgot to touch `updated_at`), and the largest
 * cursor value. A transaction that commits after a run's snapshot changes them at the next run.
 */
export function fingerprintQuery(contract: DatasetContract, organizationId?: number): string {
  const parts = queryParts(contract, organizationId);
  const keyText = parts.keyExprs.length === 1 ? `${parts.keyExprs[0]}::text` : `jsonb_build_array(${parts.keyExprs.join(', ')})::text`;
  const xmins = parts.xminExprs.map((x) => `coalesce(sum((${x}::text)::int8), 0)::text`);
  const cursor = contract.source.cursor ? `coalesce(max(t.${quoteIdent(contract.source.cursor)})::text, '')` : "''";
  const fp = [`sum(hashtextextended(${keyText}, 0)::numeric)::text`, ...xmins, cursor].join(" || ':' || ");
  return `SELECT ${partitionKeyExpr(parts)} AS key, count(*)::int8 AS rows, ${fp} AS fingerprint FROM ${parts.from}${
    parts.where.length ? ` WHERE ${parts.where.join(' AND ')}` : ''
  } GROUP BY 1 ORDER BY 1`;
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
