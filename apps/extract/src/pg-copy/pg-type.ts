/** PostgreSQL column types the binary COPY decoder reads, by their `format_type` short names. */
export type PgType =
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'name'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'json'
  | 'jsonb'
  | 'uuid'
  | 'int4[]'
  | 'int8[]'
  | 'text[]'
  | 'float8[]';

/** One output column of a query: its name in the `ColumnBatch` and its PostgreSQL type. */
export interface ColumnDescriptor {
  name: string;
  pgType: PgType;
}

/** Type OIDs from `pg_type`; these are fixed by PostgreSQL's catalog (`pg_type.dat`). */
export const PG_TYPE_BY_OID: ReadonlyMap<number, PgType> = new Map<number, PgType>([
  [21, 'int2'],
  [23, 'int4'],
  [20, 'int8'],
  [700, 'float4'],
  [701, 'float8'],
  [1700, 'numeric'],
  [16, 'bool'],
  [25, 'text'],
  [1043, 'varchar'],
  [1042, 'bpchar'],
  [19, 'name'],
  [1082, 'date'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [114, 'json'],
  [3802, 'jsonb'],
  [2950, 'uuid'],
  [1007, 'int4[]'],
  [1016, 'int8[]'],
  [1009, 'text[]'],
  [1022, 'float8[]'],
]);

/** Element type OID a binary array of each supported array type must carry. */
export const ARRAY_ELEMENT_OID: Readonly<Record<'int4[]' | 'int8[]' | 'text[]' | 'float8[]', number>> = {
  'int4[]': 23,
  'int8[]': 20,
  'text[]': 25,
  'float8[]': 701,
};

const SUPPORTED = new Set<string>(PG_TYPE_BY_OID.values());

export function isPgType(value: string): value is PgType {
  return SUPPORTED.has(value);
}
