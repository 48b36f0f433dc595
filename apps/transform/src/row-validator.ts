import {
  FILE_STAGING,
  type ColumnBatch,
  type ColumnSpec,
  type DatasetContract,
  type FieldContract,
  type LakeValue,
  type ParsedLakeType,
  outputColumns,
  parseLakeType,
} from '@lake/contracts';
import {
  parseBigIntText,
  parseBooleanText,
  parseDateText,
  parseDecimalText,
  parseFloatText,
  parseIntText,
  parseTimestampText,
} from './value-parsers.js';

/** One broken rule on one column of one row. */
export interface Violation {
  column: string;
  /** A contract rule, `foreign_key`, or the rule a file reader found (`invalid-number`, `ragged-row`, ...). */
  rule: 'required' | 'type' | 'cast' | 'range' | 'category' | 'pattern' | 'scale_range' | 'scale_category' | 'foreign_key' | (string & {});
  raw: string | null;
  message: string;
}

export interface RejectedRow {
  /** 0-based position of the row in its staging file, or its 1-based line in the source file. */
  row: number;
  /** The source file of the row, when it came from one. */
  file?: string;
  violations: Violation[];
  /** The staged row as received, so nothing is lost. */
  staged: Record<string, LakeValue>;
}

export interface ValidatedBatch {
  valid: ColumnBatch;
  rejected: RejectedRow[];
}

export interface ScaleRule {
  min?: number;
  max?: number;
  categories?: Set<string>;
}

/** The scale of the BrAPI observation variable a field is bound to (`FieldContract.observation_variable`). */
export interface BoundScale {
  variable: string;
  /** BrAPI scale dataType: Code, Date, Duration, Nominal, Numerical, Ordinal, Text. */
  dataType: string | null;
  decimalPlaces: number | null;
  min?: number;
  max?: number;
  /** Category values (Nominal, Ordinal). */
  categories?: Set<string>;
}

const FAILED = Symbol('failed');
type Coerced = LakeValue | typeof FAILED;

function rawText(v: LakeValue): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** Converts a staged value of any lake type to `target`; FAILED when it cannot be represented. */
function coerce(v: LakeValue, target: ParsedLakeType, zone: string): Coerced {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    if (target.base !== 'string' && target.base !== 'json' && v.trim() === '') return null;
    switch (target.base) {
      case 'string':
      case 'json':
        return v;
      case 'float32':
      case 'float64':
        return parseFloatText(v) ?? FAILED;
      case 'int16':
        return parseIntText(v, 16) ?? FAILED;
      case 'int32':
        return parseIntText(v, 32) ?? FAILED;
      case 'int64':
        return parseBigIntText(v) ?? FAILED;
      case 'boolean':
        return parseBooleanText(v) ?? FAILED;
      case 'decimal':
        return parseDecimalText(v, target.precision as number, target.scale as number) ?? FAILED;
      case 'date':
        return parseDateText(v) ?? FAILED;
      case 'timestamp':
        return parseTimestampText(v, zone) ?? FAILED;
      default:
        return FAILED;
    }
  }
  if (typeof v === 'number') {
    switch (target.base) {
      case 'float32':
      case 'float64':
        // NaN is how a source says "garbage" in a NOT NULL float column; the lake never stores it.
        return Number.isNaN(v) ? FAILED : v;
      case 'int16':
      case 'int32': {
        const limit = target.base === 'int16' ? 2 ** 15 : 2 ** 31;
        return Number.isInteger(v) && v >= -limit && v < limit ? v : FAILED;
      }
      case 'int64':
        return Number.isInteger(v) ? BigInt(v) : FAILED;
      case 'string':
        return String(v);
      case 'decimal':
        return parseDecimalText(String(v), target.precision as number, target.scale as number) ?? FAILED;
      case 'date':
        return Number.isInteger(v) ? v : FAILED;
      default:
        return FAILED;
    }
  }
  if (typeof v === 'bigint') {
    switch (target.base) {
      case 'int64':
      case 'timestamp':
        return v;
      case 'int16':
      case 'int32': {
        const limit = target.base === 'int16' ? 2n ** 15n : 2n ** 31n;
        return v >= -limit && v < limit ? Number(v) : FAILED;
      }
      case 'float64':
      case 'float32':
        return Number(v);
      case 'string':
        return v.toString();
      case 'date':
        return Number((v < 0n ? v - 86_399_999_999n : v) / 86_400_000_000n);
      default:
        return FAILED;
    }
  }
  if (typeof v === 'boolean') {
    if (target.base === 'boolean') return v;
    if (target.base === 'string') return String(v);
    return FAILED;
  }
  if (Array.isArray(v) && target.base === 'list' && target.element) {
    const out: LakeValue[] = [];
    for (const e of v) {
      const c = coerce(e, target.element, zone);
      if (c === FAILED) return FAILED;
      out.push(c);
    }
    return out;
  }
  if (Array.isArray(v) && (target.base === 'json' || target.base === 'string')) return rawText(v);
  return FAILED;
}

/** The range and categories of a scale's JSON text (`minimumValue`/`min`, `maximumValue`/`max`, `categories`). */
export function parseScale(text: string): ScaleRule {
  try {
    const doc = JSON.parse(text) as { min?: unknown; max?: unknown; minimumValue?: unknown; maximumValue?: unknown; categories?: unknown };
    const num = (x: unknown) => (typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : undefined);
    const rule: ScaleRule = {};
    const min = num(doc.minimumValue) ?? num(doc.min);
    const max = num(doc.maximumValue) ?? num(doc.max);
    if (min !== undefined) rule.min = min;
    if (max !== undefined) rule.max = max;
    if (Array.isArray(doc.categories) && doc.categories.length > 0) {
      rule.categories = new Set(
        doc.categories.map((c: unknown) => (c && typeof c === 'object' ? String((c as { value?: unknown }).value ?? (c as { label?: unknown }).label) : String(c))),
      );
    }
    return rule;
  } catch {
    return {};
  }
}

interface FieldPlan {
  field: FieldContract;
  type: ParsedLakeType;
  source: LakeValue[] | undefined;
  castBy: LakeValue[] | undefined;
  when: Set<string> | undefined;
  scale: LakeValue[] | undefined;
  pattern: RegExp | undefined;
  categories: Set<string> | undefined;
  zone: string;
}

/**
 * Validates and types staged rows against a contract. A row with any violation is rejected
 * whole, with every violation located; the rest are written in the contract's column types.
 */
export class RowValidator {
  readonly columns: ColumnSpec[];
  private readonly fields: Array<{ f: FieldContract; type: ParsedLakeType; when?: Set<string>; pattern?: RegExp; categories?: Set<string> }>;
  private readonly scaleCache = new Map<string, ScaleRule>();

  private readonly errorsColumn: boolean;
  private readonly references: Array<{ field: string; values: ReadonlySet<string>; dataset: string; column: string }>;

  /**
   * @param references values of each foreign-key field's referenced column (`FieldContract.references`),
   *   as text; a non-null value outside the set breaks `foreign_key`.
   * @param scales the bound variable's scale of each field with `observation_variable`: its
   *   dataType, valid range, decimal places and categories are the field's rules too.
   */
  constructor(
    contract: DatasetContract,
    readonly stagingColumns: ColumnSpec[],
    references: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
    private readonly scales: ReadonlyMap<string, BoundScale> = new Map(),
  ) {
    this.errorsColumn = stagingColumns.some((c) => c.name === FILE_STAGING.errors);
    this.references = contract.fields.flatMap((f) => {
      const values = references.get(f.name);
      return f.references && values ? [{ field: f.name, values, dataset: f.references.dataset, column: f.references.column }] : [];
    });
    this.columns = outputColumns(contract);
    const staged = new Set(stagingColumns.map((c) => c.name));
    const missing = contract.fields.flatMap((f) => [f.source, f.cast_by, f.scale].filter((c): c is string => !!c && !staged.has(c)));
    if (missing.length > 0) throw new Error(`staging data lacks column(s) ${[...new Set(missing)].join(', ')} that the contract reads`);
    this.fields = contract.fields.map((f) => ({
      f,
      type: parseLakeType(f.type),
      ...(f.when ? { when: new Set(f.when.map((w) => w.toLowerCase())) } : {}),
      ...(f.pattern ? { pattern: new RegExp(f.pattern, 'u') } : {}),
      ...(f.categories ? { categories: new Set(f.categories) } : {}),
    }));
  }

  /**
   * @param firstRow the staging file position of the batch's first row, or, as `rowNumbers`,
   *   each row's own position (rows SQL left over, no longer contiguous).
   * @param opts.rejectAll a violation every row gets (a file rejected as a whole): all rows are
   *   rejected, each with its own violations too.
   */
  validate(batch: ColumnBatch, firstRow: number, rowNumbers?: readonly LakeValue[], opts: { rejectAll?: Violation } = {}): ValidatedBatch {
    const plans: FieldPlan[] = this.fields.map(({ f, type, when, pattern, categories }) => ({
      field: f,
      type,
      source: batch.columns[f.source],
      castBy: f.cast_by ? batch.columns[f.cast_by] : undefined,
      when,
      scale: f.scale ? batch.columns[f.scale] : undefined,
      pattern,
      categories,
      zone: f.timezone ?? 'UTC',
    }));
    const out: Record<string, LakeValue[]> = Object.fromEntries(this.columns.map((c) => [c.name, []]));
    const rejected: RejectedRow[] = [];
    const values: LakeValue[] = new Array(plans.length);
    const readErrors = this.errorsColumn ? (batch.columns[FILE_STAGING.errors] as LakeValue[]) : undefined;
    const lines = this.errorsColumn ? (batch.columns[FILE_STAGING.line] as LakeValue[]) : undefined;
    const files = this.errorsColumn ? (batch.columns[FILE_STAGING.sourceFile] as LakeValue[]) : undefined;
    const fieldIndex = new Map(plans.map((p, i) => [p.field.name, i]));
    for (let i = 0; i < batch.rowCount; i++) {
      // Problems the file reader found come first: they are where the row went wrong.
      const read = readErrors?.[i];
      let violations: Violation[] | undefined = typeof read === 'string' ? (JSON.parse(read) as Violation[]) : undefined;
      const unreadable = new Set(violations?.map((v) => v.column));
      for (let p = 0; p < plans.length; p++) {
        const plan = plans[p] as FieldPlan;
        if (unreadable.has(plan.field.name) || unreadable.has('(record)')) {
          values[p] = null;
          continue;
        }
        const result = this.fieldValue(plan, i);
        if (typeof result === 'object' && result !== null && 'violation' in result) {
          (violations ??= []).push(result.violation);
          values[p] = null;
        } else {
          values[p] = result as LakeValue;
        }
      }
      for (const ref of this.references) {
        const v = values[fieldIndex.get(ref.field) as number];
        if (v === null || v === undefined || violations?.some((x) => x.column === ref.field)) continue;
        const text = typeof v === 'bigint' ? v.toString() : String(v);
        if (!ref.values.has(text)) {
          (violations ??= []).push({ column: ref.field, rule: 'foreign_key', raw: text, message: `"${text}" is not a ${ref.column} of ${ref.dataset} (current version)` });
        }
      }
      // A rejected file quarantines every row: its own problems first, then the file's.
      if (opts.rejectAll) (violations ??= []).push(opts.rejectAll);
      if (violations) {
        const staged: Record<string, LakeValue> = {};
        for (const c of this.stagingColumns) staged[c.name] = (batch.columns[c.name] as LakeValue[])[i] ?? null;
        const line = lines?.[i];
        const file = files?.[i];
        const position = rowNumbers ? Number(rowNumbers[i]) : firstRow + i;
        rejected.push({ row: line === undefined || line === null ? position : Number(line), violations, staged, ...(typeof file === 'string' ? { file } : {}) });
        continue;
      }
      for (let p = 0; p < plans.length; p++) (out[(plans[p] as FieldPlan).field.name] as LakeValue[]).push(values[p] as LakeValue);
    }
    return { valid: { rowCount: batch.rowCount - rejected.length, columns: out }, rejected };
  }

  private fieldValue(plan: FieldPlan, i: number): LakeValue | { violation: Violation } {
    const { field } = plan;
    const raw = plan.source ? (plan.source[i] ?? null) : null;
    if (plan.castBy) {
      const by = plan.castBy[i];
      if (by === null || by === undefined || !plan.when?.has(String(by).toLowerCase())) return null;
    }
    const value = coerce(raw, plan.type, plan.zone);
    if (value === FAILED) {
      const rule = plan.castBy ? 'cast' : 'type';
      const as = plan.castBy ? ` (scale dataType ${String(plan.castBy[i])})` : '';
      return { violation: { column: field.name, rule, raw: rawText(raw), message: `"${rawText(raw)}" is not a valid ${field.type}${as}` } };
    }
    if (value === null) {
      if (!field.nullable) return { violation: { column: field.name, rule: 'required', raw: rawText(raw), message: `${field.name} is required` } };
      return null;
    }
    const num = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && plan.type.base === 'decimal' ? Number(value) : undefined;
    if (num !== undefined && plan.type.base !== 'date') {
      if ((field.minimum !== undefined && num < field.minimum) || (field.maximum !== undefined && num > field.maximum)) {
        return { violation: { column: field.name, rule: 'range', raw: rawText(raw), message: `${num} is outside [${field.minimum ?? '-∞'}, ${field.maximum ?? '∞'}]` } };
      }
    }
    if (plan.categories && !plan.categories.has(String(value))) {
      return { violation: { column: field.name, rule: 'category', raw: rawText(raw), message: `"${String(value)}" is not one of ${[...plan.categories].join(', ')}` } };
    }
    if (plan.pattern && typeof value === 'string' && !plan.pattern.test(value)) {
      return { violation: { column: field.name, rule: 'pattern', raw: rawText(raw), message: `"${value}" does not match ${field.pattern}` } };
    }
    if (plan.scale) {
      const text = plan.scale[i];
      if (typeof text === 'string' && text !== '' && text !== 'null') {
        let scale = this.scaleCache.get(text);
        if (!scale) {
          scale = parseScale(text);
          this.scaleCache.set(text, scale);
        }
        if (num !== undefined && ((scale.min !== undefined && num < scale.min) || (scale.max !== undefined && num > scale.max))) {
          return { violation: { column: field.name, rule: 'scale_range', raw: rawText(raw), message: `${num} is outside the scale's valid range [${scale.min ?? '-∞'}, ${scale.max ?? '∞'}]` } };
        }
        if (num === undefined && scale.categories && !scale.categories.has(String(value))) {
          return { violation: { column: field.name, rule: 'scale_category', raw: rawText(raw), message: `"${String(value)}" is not a category of the scale (${[...scale.categories].slice(0, 10).join(', ')})` } };
        }
      }
    }
    const bound = this.scales.get(field.name);
    if (bound) {
      const violation = boundScaleViolation(field.name, bound, value, rawText(raw), num);
      if (violation) return { violation };
    }
    return value;
  }
}

const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))(?:[eE][+-]?\d+)?$/;

/** The first rule of a bound variable's scale the value breaks, if any. */
function boundScaleViolation(column: string, scale: BoundScale, value: LakeValue, raw: string | null, num: number | undefined): Violation | undefined {
  const of = `variable ${scale.variable}`;
  const type = scale.dataType?.toLowerCase();
  if (type === 'numerical') {
    const text = typeof value === 'string' ? value.trim() : raw?.trim() ?? '';
    const m = NUMERIC_TEXT.exec(text);
    const n = num ?? (m ? Number(text) : undefined);
    if (n === undefined || !Number.isFinite(n)) return { column, rule: 'scale_type', raw, message: `"${raw}" is not a number, as the Numerical scale of ${of} needs` };
    if ((scale.min !== undefined && n < scale.min) || (scale.max !== undefined && n > scale.max)) {
      return { column, rule: 'scale_range', raw, message: `${n} is outside the valid range [${scale.min ?? '-∞'}, ${scale.max ?? '∞'}] of ${of}` };
    }
    const decimals = (m?.[1] ?? m?.[2] ?? '').length;
    if (scale.decimalPlaces !== null && m && decimals > scale.decimalPlaces) {
      return { column, rule: 'scale_decimals', raw, message: `"${text}" has ${decimals} decimal places; the scale of ${of} allows ${scale.decimalPlaces}` };
    }
  }
  if ((type === 'nominal' || type === 'ordinal') && scale.categories && !scale.categories.has(String(value))) {
    return { column, rule: 'scale_category', raw, message: `"${String(value)}" is not a category of ${of} (${[...scale.categories].slice(0, 10).join(', ')})` };
  }
  return undefined;
}
