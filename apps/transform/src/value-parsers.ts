/**
 * Text → lake value parsers for source values stored as text (BijMantra keeps observation values,
 * dates and timestamps in varchar columns). Each returns the lake representation or `undefined`
 * when the text does not parse; the caller turns that into a located quarantine record.
 */

export const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
export const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
export const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
/** ISO-8601 and the common variants BrAPI, Breedbase and Field Book write: space or T, offsets with or without a colon. */
export const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

export function parseFloatText(text: string): number | undefined {
  const t = text.trim();
  if (!NUMBER.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function parseIntText(text: string, bits: 16 | 32): number | undefined {
  const t = text.trim();
  if (!INTEGER.test(t)) return undefined;
  const n = Number(t);
  const limit = 2 ** (bits - 1);
  return n >= -limit && n < limit ? n : undefined;
}

export function parseBigIntText(text: string): bigint | undefined {
  const t = text.trim();
  if (!INTEGER.test(t)) return undefined;
  const n = BigInt(t);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

export function parseBooleanText(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case 'true':
    case 't':
    case 'yes':
    case 'y':
    case '1':
      return true;
    case 'false':
    case 'f':
    case 'no':
    case 'n':
    case '0':
      return false;
    default:
      return undefined;
  }
}

/** Canonical decimal text with exactly `scale` fraction digits; undefined if it needs rounding or overflows. */
export function parseDecimalText(text: string, precision: number, scale: number): string | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const sign = m[1] === '-' ? '-' : '';
  const int = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  let frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) return undefined;
  frac = frac.padEnd(scale, '0');
  if (int.replace(/^0$/, '').length + scale > precision) return undefined;
  const isZero = /^0*$/.test(int + frac);
  return `${isZero ? '' : sign}${int}${scale > 0 ? `.${frac}` : ''}`;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && !leap ? 28 : (DAYS_IN_MONTH[mo - 1] as number));
}

/** Days since 1970-01-01 of `YYYY-MM-DD` (or `YYYYMMDD`); undefined for impossible dates. */
export function parseDateText(text: string): number | undefined {
  const m = DATE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return undefined;
  return Date.UTC(y, mo - 1, d) / 86_400_000;
}

/** Offset in minutes east of UTC for `Z`, `+05:30`, `-0500`, `-05`. */
function offsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * 60 + m);
}

/**
 * Microseconds since the epoch (UTC) of an ISO-8601-like timestamp. Naive times are read in
 * `naiveZone` (a fixed offset like `+05:30`, or `UTC`); keeps sub-second digits to the microsecond.
 */
export function parseTimestampText(text: string, naiveZone = 'UTC'): bigint | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  const zone = m[8] ?? naiveZone;
  let offset: number;
  try {
    offset = offsetMinutes(zone);
  } catch {
    return undefined;
  }
  if (!Number.isFinite(offset) || Math.abs(offset) > 18 * 60) return undefined;
  const micros = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  const seconds = BigInt(Date.UTC(y, mo - 1, d, h, mi, s) / 1000) - BigInt(offset * 60);
  return seconds * 1_000_000n + micros;
}
