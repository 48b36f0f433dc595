import type { ColumnSpec, DatasetContract, FieldContract, FileSourceContract, LakeValue, StagedViolation } from '@lake/contracts';
import {
  type ByteSource,
  type CellParser,
  type ColumnMapping,
  type DecimalSeparator,
  type TabularError,
  type TargetField,
  applyConversion,
  createCellParser,
  mapHeader,
  missingMatcher,
  openTable,
  parseDecimalText,
  parseTraitCell,
} from '@lake/tabular';
import { FileRejectedError } from './file-rejected-error.js';
import type { AppliedConversion, OpenedFile, StagedRecord } from './staged-record.js';

type FileContract = DatasetContract & { source: FileSourceContract };

/** The staged type of a field: a trait cell part is text; everything else its contract type. */
export function delimitedFieldSpecs(contract: DatasetContract): ColumnSpec[] {
  return contract.fields.map((f) => ({ name: f.name, type: f.cell ? 'string' : f.type, nullable: true }));
}

interface FieldPlan {
  field: FieldContract;
  column: ColumnMapping | undefined;
  parse: CellParser;
  isMissing: (text: string) => boolean;
}

/** Types the records of one header: mapping, cell parsers and unit conversions resolved once. */
export interface RecordTyper {
  conversions: AppliedConversion[];
  type(cells: string[], line: number): StagedRecord;
}

/**
 * Maps a header to the contract's fields (names and synonyms, units in brackets) and builds the
 * typer of its records. A header that cannot serve the contract — a required field with no
 * column, two columns for one field, a unit that does not convert — rejects the file.
 */
export function recordTyper(contract: FileContract, headerCells: string[], decimal: DecimalSeparator, file: string, headerLine: number): RecordTyper {
  const src = contract.source;
  const targets = new Map<string, TargetField>();
  for (const f of contract.fields) {
    const t = targets.get(f.source) ?? { name: f.source, synonyms: [], required: false };
    const synonyms = [...(t.synonyms ?? []), ...(f.synonyms ?? [])];
    const next: TargetField = { ...t, synonyms, required: (t.required ?? false) || !f.nullable };
    if (f.unit !== undefined && !f.cell) next.unit = f.unit;
    targets.set(f.source, next);
  }
  const mapping = mapHeader(headerCells, [...targets.values()], { line: headerLine });
  const first = mapping.errors[0];
  if (first) throw reject(file, first);
  const byColumn = new Map(mapping.columns.map((c) => [c.field, c]));
  const conversions: AppliedConversion[] = [];
  const plans: FieldPlan[] = contract.fields.map((field) => {
    const column = byColumn.get(field.source);
    const missing = [...src.missing, ...(field.missing ?? [])];
    const parser = createCellParser(field.cell ? 'string' : field.type, { missingValues: missing, decimalSeparator: decimal, timezone: field.timezone ?? src.timezone });
    let parse = parser;
    if (column?.conversion && !field.cell) {
      const c = column.conversion;
      conversions.push({ file, column: column.header, field: field.name, from: c.from, to: c.to, factor: c.factor, ...(c.offset !== undefined ? { offset: c.offset } : {}) });
      parse = converting(parser, field, c);
    }
    return { field, column, parse, isMissing: missingMatcher(missing) };
  });
  const header = JSON.stringify({ cells: headerCells, decimal });
  return {
    conversions,
    type(cells, line) {
      const values: Record<string, LakeValue> = {};
      const errors: StagedViolation[] = [];
      for (const { field, column, parse, isMissing } of plans) {
        if (!column) {
          values[field.name] = null;
          continue;
        }
        const raw = cells[column.index] ?? '';
        const where = `line ${line}, column ${column.index + 1} (${column.header})`;
        if (field.cell) {
          if (isMissing(raw)) {
            values[field.name] = null;
            continue;
          }
          const trait = parseTraitCell(raw);
          if (!trait.ok) {
            errors.push({ column: field.name, rule: trait.rule, raw, message: `${where}: ${trait.message}` });
            values[field.name] = null;
          } else values[field.name] = field.cell === 'trait_name' ? trait.value.name : trait.value.curie;
          continue;
        }
        const result = parse(raw);
        if (result.ok) values[field.name] = result.value;
        else {
          errors.push({ column: field.name, rule: result.rule, raw, message: `${where}: ${result.message}` });
          values[field.name] = null;
        }
      }
      return { line, values, errors, record: JSON.stringify(cells), header };
    },
  };
}

function converting(parse: CellParser, field: FieldContract, c: NonNullable<ColumnMapping['conversion']>): CellParser {
  const integer = /^int(16|32)$/.test(field.type);
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(field.type);
  return (text) => {
    const r = parse(text);
    if (!r.ok || r.value === null) return r;
    const v = r.value;
    if (typeof v === 'number') {
      const out = applyConversion(v, c);
      if (integer && !Number.isInteger(out)) return { ok: false, rule: 'invalid-integer', message: `${v} ${c.from} is ${out} ${c.to}, not an integer` };
      return { ok: true, value: out };
    }
    if (typeof v === 'bigint') {
      const out = applyConversion(Number(v), c);
      return Number.isSafeInteger(out) ? { ok: true, value: BigInt(out) } : { ok: false, rule: 'invalid-integer', message: `${v} ${c.from} is ${out} ${c.to}, not an integer` };
    }
    if (typeof v === 'string' && decimal) {
      const fixed = applyConversion(Number(v), c).toFixed(Number(decimal[2]));
      return parseDecimalText(fixed, Number(decimal[1]), Number(decimal[2]));
    }
    return { ok: false, rule: 'unsupported-type', message: `cannot convert ${c.from} to ${c.to} for a ${field.type} value` };
  };
}

function reject(file: string, e: TabularError): FileRejectedError {
  return new FileRejectedError(
    { file, line: e.line, rule: e.rule, ...(e.column !== undefined ? { column: e.column } : {}), ...(e.field !== undefined ? { field: e.field } : {}) },
    e.message,
  );
}

/**
 * Opens a CSV/TSV file for staging: sniffs encoding and dialect, rejects files without a usable
 * header, then yields one staged record per record of the file — rows typed, unreadable records
 * (ragged, broken quotes, bad bytes) as records carrying their located error.
 */
export async function openDelimited(bytes: ByteSource, contract: FileContract, file: string): Promise<OpenedFile> {
  const table = await openTable(bytes);
  const headerError = table.headerErrors[0];
  if (headerError) throw reject(file, headerError);
  if (!table.header) throw new FileRejectedError({ file, line: 1, rule: 'no-header' }, 'the file holds no header line');
  const typer = recordTyper(contract, table.header.cells, table.dialect.decimalSeparator, file, table.header.line);
  async function* records(): AsyncGenerator<StagedRecord> {
    for await (const r of table.records) {
      if (r.kind === 'row') {
        yield typer.type(r.fields, r.line);
        continue;
      }
      const column = r.field ?? (r.column !== undefined ? `column ${r.column}` : '(record)');
      const at = `line ${r.line}${r.column !== undefined ? `, column ${r.column}` : ''}`;
      yield { line: r.line, values: {}, errors: [{ column, rule: r.rule, raw: r.raw, message: `${at}: ${r.message}` }], record: null, header: null };
    }
  }
  return { fields: delimitedFieldSpecs(contract), records: records(), conversions: typer.conversions };
}
