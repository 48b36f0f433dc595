/**
 * Lake column types ⇄ Parquet schema elements. The mapping is the table in
 * `@lake/contracts` lake-type.ts; this file is the only place that spells it in Parquet terms.
 */
import { type ColumnSpec, type LakeType, type ParsedLakeType, parseLakeType } from '@lake/contracts';
import type { FileMetaData, SchemaElement } from 'hyparquet';

type Repetition = 'REQUIRED' | 'OPTIONAL';

/**
 * The largest decimal precision that fits an INT64 unscaled value. Wider decimals are written
 * as FIXED_LEN_BYTE_ARRAY (big-endian two's complement), as the Parquet spec allows.
 */
const INT64_DECIMAL_MAX_PRECISION = 18;

/** Both schemas of one file: `footer` goes into the file, `encode` drives hyparquet-writer. */
export interface WriteSchema {
  footer: SchemaElement[];
  encode: SchemaElement[];
}

/**
 * Builds the Parquet schema for a list of lake columns.
 *
 * Two schemas, because hyparquet-writer JSON.stringify()s every value of a JSON column: our
 * JSON values are already JSON text, so a string would be double-encoded (`"{\"a\":1}"`).
 * We encode JSON columns as UTF8 (bytes written verbatim) and put the JSON annotation only in
 * the footer, which is the only place readers see it (column chunks carry no logical type).
 */
export function lakeSchema(specs: readonly ColumnSpec[]): WriteSchema {
  const names = new Set<string>();
  const footer: SchemaElement[] = [{ name: 'root', num_children: specs.length }];
  const encode: SchemaElement[] = [{ name: 'root', num_children: specs.length }];
  for (const spec of specs) {
    if (!spec.name) throw new Error(`column name must be non-empty (type "${spec.type}")`);
    if (names.has(spec.name)) throw new Error(`duplicate column name "${spec.name}"`);
    names.add(spec.name);
    const elements = columnElements(spec);
    footer.push(...elements);
    encode.push(...elements.map(encodeElement));
  }
  return { footer, encode };
}

/** Schema elements (pre-order) for one lake column. */
export function columnElements(spec: ColumnSpec): SchemaElement[] {
  const parsed = parseColumnType(spec);
  const repetition: Repetition = spec.nullable ? 'OPTIONAL' : 'REQUIRED';
  if (parsed.base !== 'list') return [scalarElement(spec.name, parsed, repetition)];
  // The standard three-level LIST (group LIST > repeated group list > element), which
  // DuckDB, Arrow and Spark all read. Elements are always nullable: the lake type says
  // `Array<T | null>`.
  return [
    { name: spec.name, repetition_type: repetition, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    scalarElement('element', parsed.element as ParsedLakeType, 'OPTIONAL'),
  ];
}

/** Parses a column's lake type, naming the column on error. */
export function parseColumnType(spec: ColumnSpec): ParsedLakeType {
  try {
    return parseLakeType(spec.type);
  } catch (error) {
    throw new Error(`column "${spec.name}": ${(error as Error).message}`);
  }
}

function scalarElement(name: string, type: ParsedLakeType, repetition_type: Repetition): SchemaElement {
  switch (type.base) {
    case 'boolean':
      return { name, repetition_type, type: 'BOOLEAN' };
    // Converted type only: hyparquet-writer serializes the INTEGER logical type's bitWidth as
    // i32 where the Thrift IDL says i8, and DuckDB rejects such files.
    case 'int16':
      return { name, repetition_type, type: 'INT32', converted_type: 'INT_16' };
    case 'int32':
      return { name, repetition_type, type: 'INT32' };
    case 'int64':
      return { name, repetition_type, type: 'INT64' };
    case 'float32':
      return { name, repetition_type, type: 'FLOAT' };
    case 'float64':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'decimal':
      return decimalElement(name, type.precision as number, type.scale as number, repetition_type);
    case 'string':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'json':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } };
    case 'date':
      return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp':
      // The converted type alone reads as a naive TIMESTAMP in DuckDB; the logical type with
      // isAdjustedToUTC makes it TIMESTAMP WITH TIME ZONE.
      return {
        name,
        repetition_type,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    default:
      throw new Error(`lake type "${type.base}" has no Parquet scalar mapping (column "${name}")`);
  }
}

function decimalElement(name: string, precision: number, scale: number, repetition_type: Repetition): SchemaElement {
  const annotation = {
    converted_type: 'DECIMAL' as const,
    precision,
    scale,
    logical_type: { type: 'DECIMAL' as const, precision, scale },
  };
  if (precision <= INT64_DECIMAL_MAX_PRECISION) return { name, repetition_type, type: 'INT64', ...annotation };
  return { name, repetition_type, type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalByteLength(precision), ...annotation };
}

/** Fewest bytes whose two's complement range holds every unscaled value of `precision` digits. */
export function decimalByteLength(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (max >= 1n << BigInt(bytes * 8 - 1)) bytes++;
  return bytes;
}

function encodeElement(element: SchemaElement): SchemaElement {
  if (element.converted_type !== 'JSON') return element;
  return { ...element, converted_type: 'UTF8', logical_type: { type: 'STRING' } };
}

/**
 * Key-value metadata key listing (as a JSON array) the non-nullable columns of a file whose
 * writer cannot mark them REQUIRED in the schema (DuckDB writes every column OPTIONAL).
 */
export const REQUIRED_COLUMNS_KEY = 'lake.required_columns';

/**
 * Recovers the lake columns of a file from its Parquet schema (the inverse of `lakeSchema`),
 * with the `lake.required_columns` key-value metadata applied when present.
 * Throws naming the column when the file uses a type the lake does not write.
 */
export function columnSpecsFromMetadata(metadata: FileMetaData): ColumnSpec[] {
  const specs = schemaColumnSpecs(metadata);
  const required = metadata.key_value_metadata?.find((kv) => kv.key === REQUIRED_COLUMNS_KEY)?.value;
  if (!required) return specs;
  const names = new Set(JSON.parse(required) as string[]);
  return specs.map((spec) => (names.has(spec.name) ? { ...spec, nullable: false } : spec));
}

function schemaColumnSpecs(metadata: FileMetaData): ColumnSpec[] {
  const schema = metadata.schema;
  const specs: ColumnSpec[] = [];
  let i = 1;
  while (i < schema.length) {
    const element = schema[i] as SchemaElement;
    const nullable = element.repetition_type !== 'REQUIRED';
    if (element.num_children) {
      const list = schema[i + 1];
      const leaf = schema[i + 2];
      const isList = element.converted_type === 'LIST' || element.logical_type?.type === 'LIST';
      if (!isList || element.num_children !== 1 || list?.repetition_type !== 'REPEATED' || list.num_children !== 1 || !leaf || leaf.num_children) {
        throw new Error(`column "${element.name}": only three-level LIST groups of scalars are lake types`);
      }
      specs.push({ name: element.name, type: `list<${scalarLakeType(leaf, element.name)}>` as LakeType, nullable });
      i += 3;
    } else {
      specs.push({ name: element.name, type: scalarLakeType(element, element.name), nullable });
      i += 1;
    }
  }
  return specs;
}

function scalarLakeType(element: SchemaElement, column: string): LakeType {
  const { type, converted_type: converted, logical_type: logical } = element;
  if (converted === 'DECIMAL' || logical?.type === 'DECIMAL') {
    const precision = logical?.type === 'DECIMAL' ? logical.precision : element.precision;
    const scale = logical?.type === 'DECIMAL' ? logical.scale : (element.scale ?? 0);
    return `decimal(${precision},${scale})` as LakeType;
  }
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'INT32') {
    if (converted === 'INT_16' || (logical?.type === 'INTEGER' && logical.bitWidth === 16 && logical.isSigned)) return 'int16';
    if (converted === 'DATE' || logical?.type === 'DATE') return 'date';
    if (!converted || converted === 'INT_32') return 'int32';
  }
  if (type === 'INT64') {
    const micros = converted === 'TIMESTAMP_MICROS' || (logical?.type === 'TIMESTAMP' && logical.unit === 'MICROS');
    if (micros) return 'timestamp';
    if (!converted || converted === 'INT_64') return 'int64';
  }
  if (type === 'FLOAT' && !converted) return 'float32';
  if (type === 'DOUBLE' && !converted) return 'float64';
  if (type === 'BYTE_ARRAY') {
    if (converted === 'JSON' || logical?.type === 'JSON') return 'json';
    if (converted === 'UTF8' || logical?.type === 'STRING') return 'string';
  }
  const annotation = logical?.type ?? converted ?? 'none';
  throw new Error(`column "${column}": Parquet type ${type} (annotation ${annotation}) is not a lake type`);
}
