/** DuckDB as the independent reader of the files we write (embedded; no service needed). */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { parseLakeType, type ParsedLakeType } from '@lake/contracts';

/** Opens an in-memory DuckDB connection; close it with `closeSync()`. */
export async function duckdb(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  return instance.connect();
}

/** Runs a query and returns its rows as plain JS objects (BIGINT as bigint, lists as arrays). */
export async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The DuckDB type a lake type must read as. */
export function duckdbType(type: string): string {
  const parsed = parseLakeType(type);
  if (parsed.base === 'list') return `${scalarDuckdbType(parsed.element as ParsedLakeType)}[]`;
  return scalarDuckdbType(parsed);
}

function scalarDuckdbType(type: ParsedLakeType): string {
  const names: Record<string, string> = {
    boolean: 'BOOLEAN',
    int16: 'SMALLINT',
    int32: 'INTEGER',
    int64: 'BIGINT',
    float32: 'FLOAT',
    float64: 'DOUBLE',
    string: 'VARCHAR',
    json: 'JSON',
    date: 'DATE',
    timestamp: 'TIMESTAMP WITH TIME ZONE',
  };
  if (type.base === 'decimal') return `DECIMAL(${type.precision},${type.scale})`;
  return names[type.base] as string;
}

/**
 * A SQL expression turning column `name` into the lake representation as DuckDB hands it to JS:
 * decimals and JSON as text, dates as day numbers, timestamps as epoch microseconds (bigint).
 */
export function lakeExpression(name: string, type: string): string {
  const parsed = parseLakeType(type);
  const column = `"${name}"`;
  if (parsed.base === 'list') return `list_transform(${column}, e -> ${scalarExpression('e', parsed.element as ParsedLakeType)})`;
  return scalarExpression(column, parsed);
}

function scalarExpression(expression: string, type: ParsedLakeType): string {
  switch (type.base) {
    case 'decimal':
    case 'json':
      return `CAST(${expression} AS VARCHAR)`;
    case 'date':
      return `CAST(${expression} - DATE '1970-01-01' AS INTEGER)`;
    case 'timestamp':
      return `epoch_us(${expression})`;
    default:
      return expression;
  }
}
