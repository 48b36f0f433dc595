/**
 * Converting values between units of the same dimension, exactly where the fractions allow,
 * and describing the conversion applied so lineage can record it.
 */
import type { TabularRule } from './tabular-error.js';
import { div, type Ratio, ratio, sub } from './ucum-units.js';
import { parseUnit, type Unit } from './unit-parser.js';

/**
 * A conversion as recorded in lineage: `to = from × factor + offset`.
 * @example { from: 'cm', to: 'm', factor: 0.01 }
 */
export interface UnitConversion {
  from: string;
  to: string;
  factor: number;
  /** Present for affine temperature conversions only. */
  offset?: number;
  /**
   * The same as one fraction, `to = (from × numerator + offsetNumerator) / denominator`,
   * when all three are safe integers: applied this way `cm → m` and `K → Cel` are exact.
   */
  exact?: { numerator: number; offsetNumerator: number; denominator: number };
}

export type ConversionResult = { ok: true; conversion: UnitConversion } | { ok: false; rule: TabularRule; message: string };

export type ConvertResult = { ok: true; value: number; conversion: UnitConversion } | { ok: false; rule: TabularRule; message: string };

/**
 * The conversion from one unit to another; both may be any spelling `parseUnit` accepts and are
 * recorded by their UCUM codes.
 * @example unitConversion('cm', 'm') // { ok: true, conversion: { from: 'cm', to: 'm', factor: 0.01, exact: { numerator: 1, offsetNumerator: 0, denominator: 100 } } }
 */
export function unitConversion(from: string, to: string): ConversionResult {
  const a = parseUnit(from);
  if (!a.ok) return { ok: false, rule: 'unknown-unit', message: a.message };
  const b = parseUnit(to);
  if (!b.ok) return { ok: false, rule: 'unknown-unit', message: b.message };
  return conversionBetween(a.unit, b.unit);
}

/** The conversion between two parsed units. */
export function conversionBetween(a: Unit, b: Unit): ConversionResult {
  if (a.dim.some((e, i) => e !== b.dim[i])) {
    return { ok: false, rule: 'incompatible-unit', message: `cannot convert ${a.code} to ${b.code}: they measure different things` };
  }
  const zero = ratio(0);
  const factor = div(a.scale, b.scale);
  // kelvin = v × sA + oA; to = (kelvin − oB) / sB
  const offset = div(sub(a.offset ?? zero, b.offset ?? zero), b.scale);
  const conversion: UnitConversion = { from: a.code, to: b.code, factor: toNumber(factor) };
  if (offset.n !== 0n) conversion.offset = toNumber(offset);
  const denominator = lcm(factor.d, offset.d);
  const numerator = (factor.n * denominator) / factor.d;
  const offsetNumerator = (offset.n * denominator) / offset.d;
  if ([denominator, numerator, offsetNumerator].every(isSafe)) {
    conversion.exact = { numerator: Number(numerator), offsetNumerator: Number(offsetNumerator), denominator: Number(denominator) };
  }
  return { ok: true, conversion };
}

/**
 * Converts a value.
 * @example convert(12.5, 'cm', 'm') // { ok: true, value: 0.125, conversion: { from: 'cm', to: 'm', factor: 0.01, … } }
 * @example convert(300, 'K', '°C').value // 26.85 (not 26.850000000000023)
 */
export function convert(value: number, from: string, to: string): ConvertResult {
  const found = unitConversion(from, to);
  return found.ok ? { ok: true, value: applyConversion(value, found.conversion), conversion: found.conversion } : found;
}

/** Applies a conversion, through its exact fraction when it has one. */
export function applyConversion(value: number, conversion: UnitConversion): number {
  const exact = conversion.exact;
  if (exact) {
    if (exact.numerator === 1 && exact.offsetNumerator === 0) return value / exact.denominator;
    return (value * exact.numerator + exact.offsetNumerator) / exact.denominator;
  }
  return value * conversion.factor + (conversion.offset ?? 0);
}

function toNumber(r: Ratio): number {
  return Number(r.n) / Number(r.d);
}

function lcm(a: bigint, b: bigint): bigint {
  let [x, y] = [a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return (a / x) * b;
}

const isSafe = (n: bigint) => n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER);
