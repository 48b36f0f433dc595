import { type DatasetContract, type LakeType, PermanentError, sourceColumns } from '@lake/contracts';
import type { PgType } from './pg-copy/index.js';

const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

/** Double-quotes an identifier the contract named (`"end"`, `"timestamp"` need it). */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new PermanentError(`invalid SQL identifier "${name}" in contract`);
  return `"${name}"`;
}

/**
 * The SELECT an extract runs for one contract: the main table's columns the contract reads plus
 * its joined lookup columns, scoped to one organization when the contract has an org scope.
 * RLS applies as well (the extractor is an ordinary role with `app.current_organization_id` set):
 * the explicit filter also covers tables whose RLS has no policy.
 */
export function sourceQuery(contract: DatasetContract, organizationId?: number): string {
  const src = contract.source;
  const joined = new Set(src.joins.flatMap((j) => Object.keys(j.columns)));
  const cols = sourceColumns(contract).filter((c) => !joined.has(c));
  const select = cols.map((c) => `t.${quoteIdent(c)}`);
  const joins: string[] = [];
  src.joins.forEach((j, i) => {
    const alias = `j${i}`;
    const on = Object.entries(j.on).map(([mine, theirs]) => `${alias}.${quoteIdent(theirs)} = t.${quoteIdent(mine)}`);
    joins.push(`LEFT JOIN ${quoteIdent(j.table)} ${alias} ON ${on.join(' AND ')}`);
    for (const [as, col] of Object.entries(j.columns)) select.push(`${alias}.${quoteIdent(col)} AS ${quoteIdent(as)}`);
  });
  let sql = `SELECT ${select.join(', ')} FROM ${quoteIdent(src.table)} t ${joins.join(' ')}`;
  if (organizationId !== undefined && src.org_scope) {
    if (!Number.isSafeInteger(organizationId)) throw new PermanentError(`invalid organization id ${organizationId}`);
    sql += ` WHERE t.${quoteIdent(src.org_scope)} = ${organizationId}`;
  }
  return sql;
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
