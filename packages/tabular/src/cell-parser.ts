/**
 * Cell text → lake value, for any lake type. Same representations as the rest of the lake
 * (`@lake/contracts` → `lake-type.ts`): int16/int32 and floats are numbers, int64 a bigint,
 * decimals canonical strings, dates days since 1970, timestamps bigint microseconds UTC, json
 * the JSON text, missing values `null`. Supersedes `apps/transform/src/value-parsers.ts` with
 * locale decimals, date orders, zones and reasons for every failure.
 */
import { type LakeType, type LakeValue, type ParsedLakeType, parseLakeType } from '@lake/contracts';
import { type CellResult, fail, ok } from './cell-result.js';
import { type DateOrder, parseDateText } from './date-parser.js';
import { DEFAULT_MISSING_VALUES, missingMatcher } from './missing-values.js';
import { type DecimalSeparator, parseDecimalText, parseIntegerText, parseNumberText } from './number-parser.js';
import { quoteValue } from './tabular-error.js';
import { parseTimestampText } from './timestamp-parser.js';
import { resolveTimeZone } from './time-zone.js';

export interface CellOptions {
  /** Text read as missing (`null`), compared trimmed and case-insensitively. @defaultValue {@link DEFAULT_MISSING_VALUES} */
  missingValues?: readonly string[];
  /** Added to `missingValues`, e.g. `['-99', '-999']` for one field. @defaultValue [] */
  extraMissingValues?: readonly string[];
  /** @defaultValue `'.'` */
  decimalSeparator?: DecimalSeparator;
  /** Zone of naive timestamps: `UTC`, `+05:30`, or an IANA name. @defaultValue `'UTC'` */
  timezone?: string;
  /** Order of slash dates like `01/07/2016`. @defaultValue `'YMD'` (they are rejected as ambiguous) */
  dateOrder?: DateOrder;
  /** Separator of `list<T>` items. @defaultValue `';'` */
  listSeparator?: string;
}

/** A parser for one column: options resolved once, then called per cell. */
export type CellParser = (text: string) => CellResult<LakeValue>;

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Builds the parser for a lake type. Throws on a bad type or option (programmer errors).
 * @example createCellParser('float64', { decimalSeparator: ',', extraMissingValues: ['-999'] })('12,5') // { ok: true, value: 12.5 }
 */
export function createCellParser(type: LakeType, options: CellOptions = {}): CellParser {
  const parsed = parseLakeType(type);
  const isMissing = missingMatcher([...(options.missingValues ?? DEFAULT_MISSING_VALUES), ...(options.extraMissingValues ?? [])]);
  const resolved = {
    decimal: options.decimalSeparator ?? '.',
    zone: resolveTimeZone(options.timezone ?? 'UTC'),
    order: options.dateOrder ?? 'YMD',
    listSeparator: options.listSeparator ?? ';',
  } as const;
  if (resolved.decimal !== '.' && resolved.decimal !== ',') throw new TypeError(`decimalSeparator must be '.' or ',', got ${JSON.stringify(resolved.decimal)}`);
  const scalar = (p: ParsedLakeType): CellParser => {
    const parse = scalarParser(p, type, resolved);
    return (text) => (isMissing(text) ? ok(null) : parse(text));
  };
  if (parsed.base !== 'list') return scalar(parsed);
  const element = scalar(parsed.element as ParsedLakeType);
  return (text) => {
    if (isMissing(text)) return ok(null);
    const items: LakeValue[] = [];
    for (const item of text.split(resolved.listSeparator)) {
      const value = element(item.trim());
      if (!value.ok) return value;
      items.push(value.value);
    }
    return ok(items);
  };
}

/**
 * Parses one cell; for many cells of a column, build the parser once with {@link createCellParser}.
 * @example parseCell('2016-01-07 12:08:24-0500', 'timestamp') // { ok: true, value: 1452186504000000n }
 */
export function parseCell(text: string, type: LakeType, options: CellOptions = {}): CellResult<LakeValue> {
  return createCellParser(type, options)(text);
}

function scalarParser(
  p: ParsedLakeType,
  type: string,
  o: { decimal: DecimalSeparator; zone: ReturnType<typeof resolveTimeZone>; order: DateOrder },
): (text: string) => CellResult<LakeValue> {
  switch (p.base) {
    case 'boolean':
      return (text) => {
        const t = text.trim().toLowerCase();
        if (TRUE.has(t)) return ok(true);
        if (FALSE.has(t)) return ok(false);
        return fail('invalid-boolean', `${quoteValue(text.trim())} is not a boolean (true/false, yes/no, 1/0)`);
      };
    case 'int16':
    case 'int32':
      return (text) => {
        const r = parseIntegerText(text, p.base as 'int16' | 'int32', o.decimal);
        return r.ok ? ok(Number(r.value)) : r;
      };
    case 'int64':
      return (text) => parseIntegerText(text, 'int64', o.decimal);
    case 'float32':
      return (text) => {
        const r = parseNumberText(text, o.decimal);
        if (r.ok && Math.abs(r.value) > FLOAT32_MAX) return fail('out-of-range', `${quoteValue(text.trim())} is outside the range of a float32`);
        return r;
      };
    case 'float64':
      return (text) => parseNumberText(text, o.decimal);
    case 'decimal':
      return (text) => parseDecimalText(text, p.precision as number, p.scale as number, o.decimal);
    case 'string':
      return (text) => ok(text);
    case 'json':
      return (text) => {
        try {
          JSON.parse(text);
          return ok(text);
        } catch (error) {
          return fail('invalid-json', `${quoteValue(text)} is not JSON: ${(error as Error).message}`);
        }
      };
    case 'date':
      return (text) => parseDateText(text, o.order);
    case 'timestamp':
      return (text) => parseTimestampText(text, o.zone, o.order);
    default:
      return () => fail('unsupported-type', `no cell parser for ${type}`);
  }
}
