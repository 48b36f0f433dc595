/**
 * Number text → number, with the decimal separator declared (or sniffed) for the file.
 * Thousands separators are accepted only where they cannot be misread: `1,234,567`,
 * `1,234.5`, `1 234,5`; a lone `1,234` (1234 or 1.234?) is `ambiguous-number`.
 */
import { type CellResult, fail, ok } from './cell-result.js';
import { quoteValue } from './tabular-error.js';

export type DecimalSeparator = '.' | ',';

/**
 * Rewrites number text to plain JavaScript number syntax (`-1234.5`, `1e3`), or explains why not.
 * @example normalizeNumberText('1.234,5', ',') // { ok: true, value: '1234.5' }
 */
export function normalizeNumberText(text: string, decimal: DecimalSeparator = '.'): CellResult<string> {
  const t = text.trim();
  const group = decimal === '.' ? ',' : '.';
  const d = decimal === '.' ? '\\.' : ',';
  const g = group === '.' ? '\\.' : ',';
  const plain = new RegExp(`^([+-]?)(\\d*)(?:${d}(\\d*))?(?:[eE]([+-]?\\d+))?$`).exec(t);
  if (plain && ((plain[2] ?? '') !== '' || (plain[3] ?? '') !== '')) {
    const exp = plain[4] === undefined ? '' : `e${plain[4]}`;
    return ok(`${plain[1] === '-' ? '-' : ''}${plain[2] || '0'}${plain[3] ? `.${plain[3]}` : ''}${exp}`);
  }
  const grouped = new RegExp(`^([+-]?)(\\d{1,3}(?:(${g}|[ \\u00a0\\u202f'])\\d{3})+)(?:${d}(\\d+))?$`).exec(t);
  if (grouped) {
    const separator = grouped[3] as string;
    const groups = (grouped[2] as string).split(separator).length - 1;
    const spaceLike = separator !== group;
    if (!spaceLike && groups === 1 && grouped[4] === undefined) {
      const other = `${(grouped[2] as string).replace(separator, '')}`;
      return fail('ambiguous-number', `${quoteValue(t)} is ambiguous: ${other} with a thousands separator, or a decimal ${group}? (decimal separator is ${JSON.stringify(decimal)})`);
    }
    const digits = (grouped[2] as string).split(separator).join('');
    return ok(`${grouped[1] === '-' ? '-' : ''}${digits}${grouped[4] ? `.${grouped[4]}` : ''}`);
  }
  const hint = new RegExp(`^[+-]?\\d*${g}\\d+$`).test(t) ? ` (decimal separator is ${JSON.stringify(decimal)})` : '';
  return fail('invalid-number', `${quoteValue(t)} is not a number${hint}`);
}

/**
 * Number text → finite number.
 * @example parseNumberText('12,5', ',') // { ok: true, value: 12.5 }
 */
export function parseNumberText(text: string, decimal: DecimalSeparator = '.'): CellResult<number> {
  const normalized = normalizeNumberText(text, decimal);
  if (!normalized.ok) return normalized;
  const n = Number(normalized.value);
  return Number.isFinite(n) ? ok(n) : fail('out-of-range', `${quoteValue(text.trim())} is outside the range of a float64`);
}

const INT_LIMITS = { int16: [-32768n, 32767n], int32: [-2147483648n, 2147483647n], int64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

/**
 * Integer text → bigint, range-checked for the lake integer type. `12.0` is 12; `12.5` is not
 * an integer. Digits are read exactly (no float on the way for int64).
 * @example parseIntegerText('40,000', 'int16', '.') // out-of-range
 */
export function parseIntegerText(text: string, type: 'int16' | 'int32' | 'int64', decimal: DecimalSeparator = '.'): CellResult<bigint> {
  const normalized = normalizeNumberText(text, decimal);
  if (!normalized.ok) {
    return normalized.rule === 'invalid-number' ? fail('invalid-integer', `${quoteValue(text.trim())} is not an integer (${type})`) : normalized;
  }
  let value: bigint;
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(normalized.value);
  if (m) {
    if (/[1-9]/.test(m[2] ?? '')) return fail('invalid-integer', `${quoteValue(text.trim())} is not an integer (${type})`);
    value = BigInt(m[1] as string);
  } else {
    const n = Number(normalized.value);
    if (!Number.isInteger(n) || !Number.isSafeInteger(n)) return fail('invalid-integer', `${quoteValue(text.trim())} is not an exact integer (${type})`);
    value = BigInt(n);
  }
  const [min, max] = INT_LIMITS[type];
  if (value < min || value > max) return fail('out-of-range', `${quoteValue(text.trim())} is outside ${type} (${min}..${max})`);
  return ok(value);
}

/**
 * Decimal text → the canonical `decimal(p,s)` string (`-12.50` for scale 2); more fraction
 * digits than the scale is an error, not a rounding.
 * @example parseDecimalText('1.234,5', 10, 2, ',') // { ok: true, value: '1234.50' }
 */
export function parseDecimalText(text: string, precision: number, scale: number, decimal: DecimalSeparator = '.'): CellResult<string> {
  const normalized = normalizeNumberText(text, decimal);
  const type = `decimal(${precision},${scale})`;
  if (!normalized.ok) return normalized.rule === 'invalid-number' ? fail('invalid-decimal', `${quoteValue(text.trim())} is not a ${type}`) : normalized;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(normalized.value);
  if (!m) return fail('invalid-decimal', `${quoteValue(text.trim())} is not a ${type} (exponents are not decimals)`);
  const int = (m[2] as string).replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) return fail('invalid-decimal', `${quoteValue(text.trim())} has more than ${scale} fraction digits (${type})`);
  if ((int === '0' ? 0 : int.length) + scale > precision) return fail('out-of-range', `${quoteValue(text.trim())} has too many digits for ${type}`);
  const padded = frac.padEnd(scale, '0');
  const zero = /^0*$/.test(int + padded);
  return ok(`${zero ? '' : m[1]}${int}${scale > 0 ? `.${padded}` : ''}`);
}
