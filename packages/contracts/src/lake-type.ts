/**
 * The lake's column types. Each maps one-to-one to a Parquet physical + logical type and to an
 * Arrow type, and has exactly one in-memory representation, used by every stage:
 *
 * | lake type        | in memory (non-null)                         | Parquet                          | Arrow                |
 * |------------------|----------------------------------------------|----------------------------------|----------------------|
 * | boolean          | boolean                                      | BOOLEAN                          | Bool                 |
 * | int16            | number                                       | INT32 + INT_16                   | Int16                |
 * | int32            | number                                       | INT32                            | Int32                |
 * | int64            | bigint                                       | INT64                            | Int64                |
 * | float32          | number                                       | FLOAT                            | Float32              |
 * | float64          | number                                       | DOUBLE                           | Float64              |
 * | decimal(p,s)     | string, canonical ("-12.50" for scale 2)     | INT64/FIXED + DECIMAL(p,s)       | Decimal128(p,s)      |
 * | string           | string (UTF-8)                               | BYTE_ARRAY + UTF8                | Utf8                 |
 * | json             | string holding JSON text, written verbatim   | BYTE_ARRAY + JSON                | Utf8 (json ext.)     |
 * | date             | number, days since 1970-01-01                | INT32 + DATE                     | Date32               |
 * | timestamp        | bigint, microseconds since epoch, UTC        | INT64 + TIMESTAMP_MICROS (UTC)   | Timestamp(us, UTC)   |
 * | list<T>          | Array<T \| null>                             | LIST of T                        | List<T>              |
 *
 * Every type is nullable at the column level; `null` is the missing value.
 * Timestamps stay BigInt microseconds end to end: through `Date` they lose microseconds.
 */
export type ScalarLakeType =
  | 'boolean'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | `decimal(${number},${number})`
  | 'string'
  | 'json'
  | 'date'
  | 'timestamp';

export type LakeType = ScalarLakeType | `list<${ScalarLakeType}>`;

/** One value of a column, in the representation the table above fixes. */
export type LakeValue = boolean | number | bigint | string | null | LakeValue[];

/** A column as the Parquet IO and the stages see it. */
export interface ColumnSpec {
  name: string;
  type: LakeType;
  nullable: boolean;
}

/** A batch of rows in columnar form: `columns[name][i]` is row i's value. */
export interface ColumnBatch {
  rowCount: number;
  columns: Record<string, LakeValue[]>;
}

const SCALARS = new Set(['boolean', 'int16', 'int32', 'int64', 'float32', 'float64', 'string', 'json', 'date', 'timestamp']);
const DECIMAL = /^decimal\((\d{1,2}),(\d{1,2})\)$/;
const LIST = /^list<(.+)>$/;

export interface ParsedLakeType {
  base: string;
  precision?: number;
  scale?: number;
  element?: ParsedLakeType;
}

/** Parses and validates a lake type name; throws naming the bad value. */
export function parseLakeType(type: string): ParsedLakeType {
  const list = LIST.exec(type);
  if (list) {
    const element = parseLakeType(list[1] as string);
    if (element.base === 'list') throw new Error(`nested lists are not a lake type: "${type}"`);
    return { base: 'list', element };
  }
  const dec = DECIMAL.exec(type);
  if (dec) {
    const precision = Number(dec[1]);
    const scale = Number(dec[2]);
    if (precision < 1 || precision > 38 || scale > precision) {
      throw new Error(`decimal precision must be 1..38 and scale <= precision: "${type}"`);
    }
    return { base: 'decimal', precision, scale };
  }
  if (SCALARS.has(type)) return { base: type };
  throw new Error(`unknown lake type "${type}" (expected one of ${[...SCALARS].join(', ')}, decimal(p,s), list<T>)`);
}

export function isLakeType(type: string): type is LakeType {
  try {
    parseLakeType(type);
    return true;
  } catch {
    return false;
  }
}
