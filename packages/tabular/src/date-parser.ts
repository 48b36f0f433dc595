/**
 * Date text → days since 1970-01-01. ISO (`2018-01-01`, `2018/01/01`) and `YYYYMMDD` are always
 * read; `01/07/2016` is read in the declared order, since `01/07` is July 1st in Europe and
 * January 7th in the US.
 */
import { type CellResult, fail, ok } from './cell-result.js';
import { quoteValue } from './tabular-error.js';

/** How a slash date like `01/07/2016` orders its parts. `YMD` rejects it as ambiguous. */
export type DateOrder = 'YMD' | 'MDY' | 'DMY';

const ISO = /^(\d{4})([-/.]?)(\d{1,2})\2(\d{1,2})$/;
const DAY_FIRST_OR_MONTH_FIRST = /^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$/;

/** Year, month, day of a date text, before validation. */
export function splitDateText(text: string, order: DateOrder): CellResult<[number, number, number]> {
  const t = text.trim();
  const iso = ISO.exec(t);
  if (iso && (iso[2] !== '' || t.length === 8)) return ok([Number(iso[1]), Number(iso[3]), Number(iso[4])]);
  const other = DAY_FIRST_OR_MONTH_FIRST.exec(t);
  if (other) {
    const [a, b, y] = [Number(other[1]), Number(other[3]), Number(other[4])];
    if (order === 'MDY') return ok([y, a, b]);
    if (order === 'DMY') return ok([y, b, a]);
    return fail('invalid-date', `${quoteValue(t)} is ambiguous (MM/DD/YYYY or DD/MM/YYYY?); declare the date order`);
  }
  return fail('invalid-date', `${quoteValue(t)} is not a date (expected YYYY-MM-DD, YYYYMMDD${order === 'YMD' ? '' : `, ${order === 'MDY' ? 'MM/DD/YYYY' : 'DD/MM/YYYY'}`})`);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether y-m-d is a real calendar date (proleptic Gregorian). */
export function isValidDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] as number));
}

/**
 * Days since 1970-01-01 of a civil date (any year; `Date.UTC` would read year 50 as 1950).
 * Howard Hinnant's `days_from_civil`.
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Date text → days since 1970-01-01 (the lake's `date`).
 * @example parseDateText('20180101') // { ok: true, value: 17532 }
 * @example parseDateText('07/01/2016', 'DMY') // 2016-01-07
 */
export function parseDateText(text: string, order: DateOrder = 'YMD'): CellResult<number> {
  const parts = splitDateText(text, order);
  if (!parts.ok) return parts;
  const [y, m, d] = parts.value;
  if (!isValidDate(y, m, d)) return fail('invalid-date', `${quoteValue(text.trim())} is not a calendar date`);
  return ok(daysFromCivil(y, m, d));
}
