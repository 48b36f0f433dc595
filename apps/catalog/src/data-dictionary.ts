import type { DatasetContract, FileTotals } from '@lake/contracts';
import { parseLakeType } from '@lake/contracts';
import type { VersionRow } from '@lake/catalog';

const PARQUET: Record<string, string> = {
  boolean: 'BOOLEAN',
  int16: 'INT32 (INT_16)',
  int32: 'INT32',
  int64: 'INT64',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'BYTE_ARRAY (UTF8)',
  json: 'BYTE_ARRAY (JSON)',
  date: 'INT32 (DATE)',
  timestamp: 'INT64 (TIMESTAMP_MICROS, UTC)',
};
const ARROW: Record<string, string> = {
  boolean: 'Bool',
  int16: 'Int16',
  int32: 'Int32',
  int64: 'Int64',
  float32: 'Float32',
  float64: 'Float64',
  string: 'Utf8',
  json: 'Utf8 (arrow.json)',
  date: 'Date32',
  timestamp: 'Timestamp(us, UTC)',
};

function physical(type: string, table: Record<string, string>, decimal: (p: number, s: number) => string, list: (e: string) => string): string {
  const t = parseLakeType(type);
  if (t.base === 'decimal') return decimal(t.precision as number, t.scale as number);
  if (t.base === 'list' && t.element) return list(physical(type.slice(5, -1), table, decimal, list));
  return table[t.base] ?? type;
}

/** A data dictionary of one committed version: every field's meaning, types in each format, and statistics. */
export function dataDictionary(contract: DatasetContract, version: VersionRow, totals: FileTotals) {
  return {
    dataset: `${contract.dataset.domain}.${contract.dataset.name}`,
    version: version.version,
    schema_version: contract.dataset.schema_version,
    description: contract.dataset.description ?? null,
    rows: Number(version.row_count),
    files: totals.files,
    committed_at: version.committed_at,
    fields: contract.fields.map((f) => {
      const nulls = totals.columns[f.name]?.nullCount ?? 0;
      return {
        name: f.name,
        type: f.type,
        parquet_type: physical(f.type, PARQUET, (p, s) => `FIXED_LEN_BYTE_ARRAY (DECIMAL(${p},${s}))`, (e) => `LIST<${e}>`),
        arrow_type: physical(f.type, ARROW, (p, s) => `Decimal128(${p}, ${s})`, (e) => `List<${e}>`),
        nullable: f.nullable,
        unit: f.unit ?? null,
        format: f.format ?? null,
        description: f.description ?? null,
        source_column: f.source,
        ...(f.cast_by ? { cast_by: f.cast_by, when: f.when } : {}),
        constraints: {
          ...(f.minimum !== undefined ? { minimum: f.minimum } : {}),
          ...(f.maximum !== undefined ? { maximum: f.maximum } : {}),
          ...(f.categories ? { categories: f.categories } : {}),
          ...(f.pattern ? { pattern: f.pattern } : {}),
          ...(f.scale ? { scale_from: f.scale } : {}),
        },
        null_count: nulls,
      };
    }),
  };
}
