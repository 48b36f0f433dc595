/**
 * Values: the lake's in-memory representation ⇄ the values hyparquet encodes and decodes.
 * Writing validates every value and names the column, row and value that do not fit.
 */
import type { LakeValue, ParsedLakeType } from '@lake/contracts';

/** A value as hyparquet-writer takes it (bigint for decimals: the unscaled integer). */
export type PhysicalValue = boolean | number | bigint | string | null | PhysicalValue[];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d*))?$|^([+-]?)\.(\d+)$/;

/** Where a bad value sits, for error messages. */
interface ValueContext {
  column: string;
  row: number;
}

/**
 * Converts one lake value to the value hyparquet-writer encodes, throwing a `TypeError` or
 * `RangeError` that names the column, the row and the value when it does not fit the type.
 */
export function toPhysical(type: ParsedLakeType, value: LakeValue | undefined, at: ValueContext): PhysicalValue {
  if (value === null || value === undefined) return null;
  switch (type.base) {
    case 'boolean':
      if (typeof value !== 'boolean') throw badValue(type, value, at);
      return value;
    case 'int16':
      return checkInteger(type, value, at, -32768, 32767);
    case 'int32':
    case 'date':
      return checkInteger(type, value, at, -2147483648, 2147483647);
    case 'int64':
    case 'timestamp':
      if (typeof value !== 'bigint') throw badValue(type, value, at);
      if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${where(at)}: ${show(value)} is outside the int64 range`);
      return value;
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') throw badValue(type, value, at);
      return value;
    case 'decimal':
      if (typeof value !== 'string') throw badValue(type, value, at);
      return parseDecimal(value, type.precision as number, type.scale as number, at);
    case 'string':
      if (typeof value !== 'string') throw badValue(type, value, at);
      return value;
    case 'json':
      if (typeof value !== 'string') throw badValue(type, value, at);
      try {
        JSON.parse(value);
      } catch {
        throw new TypeError(`${where(at)}: ${show(value)} is not valid JSON text`);
      }
      return value;
    case 'list': {
      if (!Array.isArray(value)) throw badValue(type, value, at);
      const element = type.element as ParsedLakeType;
      return value.map((item) => toPhysical(element, item, at));
    }
    default:
      throw new TypeError(`${where(at)}: unsupported lake type "${type.base}"`);
  }
}

/**
 * Converts one value as hyparquet decodes it (with the DECIMAL, DATE, TIMESTAMP and JSON
 * annotations stripped, see `physicalReadMetadata`) back to the lake representation.
 */
export function fromPhysical(type: ParsedLakeType, value: unknown): LakeValue {
  if (value === null || value === undefined) return null;
  switch (type.base) {
    case 'int64':
    case 'timestamp':
      return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'decimal':
      return formatDecimal(unscaledFromPhysical(value), type.scale as number);
    case 'list': {
      const element = type.element as ParsedLakeType;
      return Array.from(value as ArrayLike<unknown>, (item) => fromPhysical(element, item));
    }
    default:
      return value as LakeValue;
  }
}

/** Converts a decoded column (array or typed array) to lake values. */
export function columnFromPhysical(type: ParsedLakeType, values: ArrayLike<unknown>): LakeValue[] {
  const out = new Array<LakeValue>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fromPhysical(type, values[i]);
  return out;
}

/**
 * Parses decimal text into its unscaled integer for `decimal(precision,scale)`.
 * Accepts any plain decimal notation ("12.5", "+012.50", ".5"); rejects exponents, excess
 * fraction digits (no silent rounding) and values with too many digits.
 */
export function parseDecimal(text: string, precision: number, scale: number, at?: ValueContext): bigint {
  const match = DECIMAL_TEXT.exec(text);
  const label = at ? `${where(at)}: ` : '';
  if (!match) throw new TypeError(`${label}${show(text)} is not a decimal(${precision},${scale}) value`);
  const sign = match[1] ?? match[4] ?? '';
  const integer = (match[2] ?? '').replace(/^0+/, '');
  const fraction = (match[3] ?? match[5] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) {
    throw new RangeError(`${label}${show(text)} has more than ${scale} fraction digits for decimal(${precision},${scale})`);
  }
  if (integer.length > precision - scale) {
    throw new RangeError(`${label}${show(text)} has more than ${precision - scale} integer digits for decimal(${precision},${scale})`);
  }
  const unscaled = BigInt((integer || '0') + fraction.padEnd(scale, '0'));
  return sign === '-' ? -unscaled : unscaled;
}

/** Formats an unscaled decimal as the lake's canonical text: "-12.50" for scale 2, "0" for scale 0. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const text = scale ? `${integer}.${digits.slice(digits.length - scale)}` : integer;
  return negative ? `-${text}` : text;
}

function unscaledFromPhysical(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (value instanceof Uint8Array) return signedBigEndian(value);
  throw new TypeError(`cannot read ${show(value)} as a decimal`);
}

function signedBigEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  if (bytes.length && (bytes[0] as number) & 0x80) value -= 1n << bits;
  return value;
}

function checkInteger(type: ParsedLakeType, value: LakeValue, at: ValueContext, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue(type, value, at);
  if (value < min || value > max) throw new RangeError(`${where(at)}: ${show(value)} is outside the ${type.base} range ${min}..${max}`);
  return value;
}

function badValue(type: ParsedLakeType, value: LakeValue, at: ValueContext): TypeError {
  const expected = EXPECTED[type.base] ?? type.base;
  return new TypeError(`${where(at)}: expected ${expected} for ${typeName(type)}, got ${show(value)}`);
}

const EXPECTED: Record<string, string> = {
  boolean: 'a boolean',
  int16: 'an integer number',
  int32: 'an integer number',
  date: 'an integer number of days since 1970-01-01',
  int64: 'a bigint',
  timestamp: 'a bigint of microseconds since the epoch',
  float32: 'a number',
  float64: 'a number',
  decimal: 'a decimal string',
  string: 'a string',
  json: 'a string of JSON text',
  list: 'an array',
};

function typeName(type: ParsedLakeType): string {
  if (type.base === 'decimal') return `decimal(${type.precision},${type.scale})`;
  if (type.base === 'list') return `list<${typeName(type.element as ParsedLakeType)}>`;
  return type.base;
}

function where(at: ValueContext): string {
  return `column "${at.column}" row ${at.row}`;
}

/** Renders a value for an error message: type-tagged and cut short. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Date) text = `Date(${value.toISOString()})`;
  else {
    try {
      text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
