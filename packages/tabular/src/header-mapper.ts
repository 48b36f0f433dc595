/**
 * Header → contract fields. Each header cell is matched, case-, space- and punctuation-
 * insensitively, against each field's name and synonyms, first as written and then without
 * a trailing bracketed unit; a unit in the header is parsed to UCUM and, when the field has a
 * canonical unit, turned into the conversion to apply.
 */
import { type HeaderName, normalizeHeaderName, splitHeaderUnit } from './header-names.js';
import type { TableHeader } from './table-reader.js';
import { type TabularError, quoteValue, tabularError } from './tabular-error.js';
import { conversionBetween, type UnitConversion } from './unit-converter.js';
import { parseUnit } from './unit-parser.js';

/** A field the file should provide. */
export interface TargetField {
  name: string;
  /** Other header spellings: `PH`, `Plant height (cm)`, `YYYYMMDD`. */
  synonyms?: readonly string[];
  /** Canonical UCUM unit of the field; values in other units are converted to it. */
  unit?: string;
  /** A file without this field is reported (`missing-field`). @defaultValue false */
  required?: boolean;
}

/** One header cell mapped to one field. */
export interface ColumnMapping {
  field: string;
  /** 0-based index into a row's `fields`. */
  index: number;
  /** The header cell as written. */
  header: string;
  /** UCUM code of the unit the file's values are in: the header's, else the field's. */
  unit?: string;
  /** The conversion to the field's unit, when the header names a different one. */
  conversion?: UnitConversion;
}

export interface HeaderMapping {
  columns: ColumnMapping[];
  /** Header cells that map to no field (1-based `column`). */
  unmapped: { column: number; header: string }[];
  /** Required fields no header cell maps to. */
  missing: string[];
  /** Duplicate mappings, missing required fields, unknown or incompatible units. */
  errors: TabularError[];
}

export interface MapHeaderOptions {
  /** Line of the header, for the located errors. @defaultValue the header's, or 1 */
  line?: number;
}

/**
 * Maps header cells to target fields.
 * @example
 * mapHeader(['Plot', 'Plant height (cm)'], [{ name: 'plot' }, { name: 'plant_height', unit: 'm', synonyms: ['PH'] }])
 * // columns: [{ field: 'plot', index: 0, … }, { field: 'plant_height', index: 1, unit: 'cm', conversion: { from: 'cm', to: 'm', factor: 0.01, … } }]
 */
export function mapHeader(header: TableHeader | readonly string[], fields: readonly TargetField[], options: MapHeaderOptions = {}): HeaderMapping {
  const cells = isTableHeader(header) ? header.cells : header;
  const line = options.line ?? (isTableHeader(header) ? header.line : 1);
  const byKey = new Map<string, TargetField>();
  for (const field of fields) {
    if (field.unit !== undefined && !parseUnit(field.unit).ok) throw new TypeError(`field ${field.name}: unknown unit ${JSON.stringify(field.unit)}`);
    for (const spelling of [field.name, ...(field.synonyms ?? [])]) {
      for (const key of keysOf(spelling)) if (!byKey.has(key)) byKey.set(key, field);
    }
  }

  const mapping: HeaderMapping = { columns: [], unmapped: [], missing: [], errors: [] };
  const taken = new Map<string, ColumnMapping>();
  cells.forEach((cell, index) => {
    const split = splitHeaderUnit(cell);
    const full = normalizeHeaderName(cell);
    const field = byKey.get(full) ?? byKey.get(normalizeHeaderName(split.name));
    if (!field || full === '') {
      mapping.unmapped.push({ column: index + 1, header: cell });
      return;
    }
    const earlier = taken.get(field.name);
    if (earlier) {
      const message = `header ${quoteValue(cell)} in column ${index + 1} maps to field ${field.name}, already mapped from ${quoteValue(earlier.header)} in column ${earlier.index + 1}`;
      mapping.errors.push(tabularError('duplicate-header', line, message, cell, { column: index + 1, field: field.name }));
      return;
    }
    const column = withUnit({ field: field.name, index, header: cell }, split, field, line, mapping.errors);
    taken.set(field.name, column);
    mapping.columns.push(column);
  });
  for (const field of fields) {
    if (field.required && !taken.has(field.name)) {
      mapping.missing.push(field.name);
      const spellings = [field.name, ...(field.synonyms ?? [])].map(quoteValue).join(', ');
      mapping.errors.push(tabularError('missing-field', line, `no header cell for required field ${field.name} (looked for ${spellings})`, cells.join(',')));
    }
  }
  return mapping;
}

function withUnit(column: ColumnMapping, split: HeaderName, field: TargetField, line: number, errors: TabularError[]): ColumnMapping {
  const where = { column: column.index + 1, field: field.name };
  const written = split.unitText === undefined ? undefined : parseUnit(split.unitText);
  if (written && !written.ok) {
    // A bracket that is no unit (`Name (optional)`) matters only if the field expects a unit.
    if (field.unit !== undefined) {
      errors.push(tabularError('unknown-unit', line, `header ${quoteValue(column.header)}: ${written.message}; field ${field.name} is in ${field.unit}`, column.header, where));
    }
    return field.unit === undefined ? column : { ...column, unit: canonical(field.unit) };
  }
  if (!written) return field.unit === undefined ? column : { ...column, unit: canonical(field.unit) };
  const unit = written.unit;
  if (field.unit === undefined) return { ...column, unit: unit.code };
  const target = parseUnit(field.unit);
  if (!target.ok) return column;
  const found = conversionBetween(unit, target.unit);
  if (!found.ok) {
    errors.push(tabularError(found.rule, line, `header ${quoteValue(column.header)}: ${found.message} (field ${field.name} is in ${target.unit.code})`, column.header, where));
    return { ...column, unit: unit.code };
  }
  const identity = found.conversion.factor === 1 && found.conversion.offset === undefined;
  return identity ? { ...column, unit: unit.code } : { ...column, unit: unit.code, conversion: found.conversion };
}

function canonical(unit: string): string {
  const parsed = parseUnit(unit);
  return parsed.ok ? parsed.unit.code : unit;
}

function keysOf(spelling: string): string[] {
  const keys = [normalizeHeaderName(spelling), normalizeHeaderName(splitHeaderUnit(spelling).name)];
  return keys.filter((k) => k !== '');
}

function isTableHeader(header: TableHeader | readonly string[]): header is TableHeader {
  return !Array.isArray(header);
}
