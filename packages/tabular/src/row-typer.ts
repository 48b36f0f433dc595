/**
 * Row → typed values: each mapped column's text through its field's cell parser, then through
 * the column's unit conversion. The first failing cell makes the row a located error (line,
 * column, field, rule, raw cell), so every row is loaded or quarantined, never dropped.
 */
import { type LakeType, type LakeValue, parseLakeType } from '@lake/contracts';
import { type CellOptions, type CellParser, createCellParser } from './cell-parser.js';
import type { CellResult } from './cell-result.js';
import type { ColumnMapping, HeaderMapping } from './header-mapper.js';
import { parseDecimalText } from './number-parser.js';
import type { TableRow } from './table-reader.js';
import { type TabularError, quoteValue, tabularError } from './tabular-error.js';
import { applyConversion, type UnitConversion } from './unit-converter.js';

/** A field's lake type, and options that differ from the file's (e.g. `extraMissingValues: ['-999']`). */
export interface RowField {
  name: string;
  type: LakeType;
  options?: CellOptions;
}

/** A row with a value (or `null`) for every field. */
export interface TypedRow {
  kind: 'row';
  line: number;
  values: Record<string, LakeValue>;
}

/**
 * Builds the typer for a mapped header. Fields without a column are `null` in every row.
 * @example
 * const type = createRowTyper(mapping, [{ name: 'plant_height', type: 'float64' }], { decimalSeparator: ',' });
 * type({ kind: 'row', line: 2, fields: ['P1', '12,5'] }) // { kind: 'row', line: 2, values: { plant_height: 0.125 } } (cm → m)
 */
export function createRowTyper(mapping: HeaderMapping, fields: readonly RowField[], options: CellOptions = {}): (row: TableRow) => TypedRow | TabularError {
  const byField = new Map(mapping.columns.map((c) => [c.field, c]));
  const plan = fields.map((field) => {
    const column = byField.get(field.name);
    const parser = createCellParser(field.type, { ...options, ...field.options });
    return { field, column, parse: column?.conversion ? converting(parser, field.type, column.conversion) : parser };
  });
  return (row) => {
    const values: Record<string, LakeValue> = {};
    for (const { field, column, parse } of plan) {
      if (!column) {
        values[field.name] = null;
        continue;
      }
      const raw = row.fields[column.index] ?? '';
      const result = parse(raw);
      if (!result.ok) return cellError(row, column, result, raw);
      values[field.name] = result.value;
    }
    return { kind: 'row', line: row.line, values };
  };
}

function cellError(row: TableRow, column: ColumnMapping, result: { rule: TabularError['rule']; message: string }, raw: string): TabularError {
  return tabularError(result.rule, row.line, `${column.header}: ${result.message}`, raw, { column: column.index + 1, field: column.field });
}

function converting(parse: CellParser, type: LakeType, conversion: UnitConversion): CellParser {
  const parsed = parseLakeType(type);
  const convertOne = (value: LakeValue): CellResult<LakeValue> => {
    if (value === null) return { ok: true, value };
    if (typeof value === 'number') {
      const out = applyConversion(value, conversion);
      if (parsed.base.startsWith('int') && !Number.isInteger(out)) {
        return { ok: false, rule: 'invalid-integer', message: `${value} ${conversion.from} is ${out} ${conversion.to}, not an integer` };
      }
      return { ok: true, value: out };
    }
    if (typeof value === 'bigint') {
      const out = applyConversion(Number(value), conversion);
      return Number.isSafeInteger(out)
        ? { ok: true, value: BigInt(out) }
        : { ok: false, rule: 'invalid-integer', message: `${value} ${conversion.from} is ${out} ${conversion.to}, not an exact integer` };
    }
    if (typeof value === 'string' && parsed.base === 'decimal') {
      const out = applyConversion(Number(value), conversion);
      const fixed = out.toFixed(parsed.scale as number);
      const canonical = parseDecimalText(fixed, parsed.precision as number, parsed.scale as number);
      return canonical.ok ? canonical : { ok: false, rule: canonical.rule, message: `${quoteValue(value)} ${conversion.from} is ${fixed} ${conversion.to}: ${canonical.message}` };
    }
    return { ok: false, rule: 'unsupported-type', message: `cannot convert units of a ${type} value` };
  };
  return (text) => {
    const result = parse(text);
    if (!result.ok) return result;
    if (Array.isArray(result.value)) {
      const items: LakeValue[] = [];
      for (const item of result.value) {
        const converted = convertOne(item);
        if (!converted.ok) return converted;
        items.push(converted.value);
      }
      return { ok: true, value: items };
    }
    return convertOne(result.value);
  };
}
