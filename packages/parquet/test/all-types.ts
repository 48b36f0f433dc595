/**
 * One small table with every lake type and the edge values that break naive IO: int64 beyond
 * 2^53, negative and wide decimals, pre-1970 timestamps with microseconds, emoji/CJK, empty
 * strings vs nulls, empty lists, lists with nulls, JSON text of every shape.
 */
import type { ColumnBatch, ColumnSpec, LakeType, LakeValue } from '@lake/contracts';

const ROWS = 6;

/** Per scalar type: 5 edge values; row 5 is null. */
export const SCALAR_SAMPLES: Record<string, LakeValue[]> = {
  boolean: [true, false, true, false, true],
  int16: [-32768, 32767, 0, -1, 12],
  int32: [-2147483648, 2147483647, 0, -7, 42],
  int64: [2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 0n, -(2n ** 53n) - 3n],
  float32: [Math.fround(3.14), -0, Number.POSITIVE_INFINITY, Math.fround(-1.1e-38), Number.NaN],
  float64: [Math.PI, -1.7976931348623157e308, 5e-324, -0, Number.NaN],
  'decimal(10,2)': ['-12.50', '0.00', '99999999.99', '-0.01', '12345.67'],
  'decimal(18,4)': ['99999999999999.9999', '-99999999999999.9999', '0.0001', '-3.1416', '0.0000'],
  'decimal(38,10)': [
    '-9999999999999999999999999999.9999999999',
    '9999999999999999999999999999.9999999999',
    '-0.0000000001',
    '123.4560000000',
    '0.0000000000',
  ],
  'decimal(5,0)': ['-99999', '99999', '0', '-1', '7'],
  string: ['héllo wörld', '🌾 wheat 小麦 ☀️', '', 'tab\tnew\nline "quoted" \\', '中文字符 日本語 한국어'],
  json: ['{"a":1,"b":[true,null,2.5]}', '[1,2,3]', '"plain string"', '{"名前":"小麦","emoji":"🌱","nested":{"x":[]}}', 'null'],
  date: [0, -1, 19723, -719162, 2932896],
  timestamp: [1704067200123456n, -1n, -62135596800000000n, 0n, 253402300799999999n],
};

/** The columns of the all-types table: each scalar, then a list of each scalar, all nullable, plus one required column. */
export const ALL_TYPES_SPECS: ColumnSpec[] = [
  { name: 'id', type: 'int32', nullable: false },
  ...Object.keys(SCALAR_SAMPLES).map((type) => ({ name: columnName(type), type: type as LakeType, nullable: true })),
  ...Object.keys(SCALAR_SAMPLES).map((type) => ({ name: `list_${columnName(type)}`, type: `list<${type}>` as LakeType, nullable: true })),
];

/** The all-types table as one batch. */
export function allTypesBatch(): ColumnBatch {
  const columns: Record<string, LakeValue[]> = { id: Array.from({ length: ROWS }, (_, i) => i) };
  for (const [type, samples] of Object.entries(SCALAR_SAMPLES)) {
    columns[columnName(type)] = [...samples, null];
    const [a, b, c, d, e] = samples as [LakeValue, LakeValue, LakeValue, LakeValue, LakeValue];
    // several values, empty list, null list, list with nulls, single null, single value
    columns[`list_${columnName(type)}`] = [[a, b, c], [], null, [null, d, null], [null], [e]];
  }
  return { rowCount: ROWS, columns };
}

/** `decimal(10,2)` → `decimal_10_2`. */
export function columnName(type: string): string {
  return type.replace(/[(),]+/g, '_').replace(/_$/, '');
}

/** JSON for fixtures: bigints as decimal strings (the column's type says which to revive). */
export function batchToJson(batch: ColumnBatch): string {
  const replacer = (_key: string, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && !Number.isFinite(value)) return { number: String(value) };
    if (Object.is(value, -0)) return { number: '-0' };
    return value;
  };
  // One line per column keeps the fixture diffable.
  const columns = Object.entries(batch.columns).map(([name, values]) => `    ${JSON.stringify(name)}: ${JSON.stringify(values, replacer)}`);
  return `{\n  "rowCount": ${batch.rowCount},\n  "columns": {\n${columns.join(',\n')}\n  }\n}\n`;
}

/** Inverse of `batchToJson`, given the columns' specs. */
export function batchFromJson(text: string, specs: ColumnSpec[]): ColumnBatch {
  const raw = JSON.parse(text) as { rowCount: number; columns: Record<string, unknown[]> };
  const columns: Record<string, LakeValue[]> = {};
  for (const spec of specs) {
    const big = /^(list<)?(int64|timestamp)>?$/.test(spec.type);
    const revive = (value: unknown): LakeValue => {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(revive);
      if (big && typeof value === 'string') return BigInt(value);
      if (typeof value === 'object' && 'number' in value) return Number((value as { number: string }).number);
      return value as LakeValue;
    };
    columns[spec.name] = (raw.columns[spec.name] ?? []).map(revive);
  }
  return { rowCount: raw.rowCount, columns };
}
