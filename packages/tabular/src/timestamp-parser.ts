/**
 * Timestamp text → microseconds since the epoch, UTC (the lake's `timestamp`, a bigint: through
 * `Date` the microseconds would be lost). Reads ISO-8601 and what BrAPI, Breedbase and Field
 * Book write: `T` or space, offsets with or without a colon (`2016-01-07 12:08:24-0500`), `Z`,
 * `UTC`; a naive time is read in the declared zone; a date alone is midnight there.
 */
import { type CellResult, fail, ok } from './cell-result.js';
import { type DateOrder, daysFromCivil, isValidDate, splitDateText } from './date-parser.js';
import { quoteValue } from './tabular-error.js';
import { fixedOffsetMinutes, resolveTimeZone, type TimeZone } from './time-zone.js';

const TIMESTAMP =
  /^(\d{4}-\d{1,2}-\d{1,2}|\d{4}\/\d{1,2}\/\d{1,2}|\d{8}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses a timestamp.
 * @param zone - zone of naive times: `UTC`, `+05:30`, or an IANA name. @defaultValue `'UTC'`
 * @example parseTimestampText('2016-01-07 12:08:24-0500') // { ok: true, value: 1452186504000000n }
 * @example parseTimestampText('2016-01-07T12:08:24.123456Z') // keeps the microseconds
 */
export function parseTimestampText(text: string, zone: string | TimeZone = 'UTC', order: DateOrder = 'YMD'): CellResult<bigint> {
  const t = text.trim();
  const m = TIMESTAMP.exec(t);
  if (!m) return fail('invalid-timestamp', `${quoteValue(t)} is not a timestamp (expected e.g. 2016-01-07 12:08:24-0500)`);
  const date = splitDateText(m[1] as string, order);
  if (!date.ok) return fail('invalid-timestamp', date.message);
  const [y, mo, d] = date.value;
  const [h, mi, s] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (!isValidDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return fail('invalid-timestamp', `${quoteValue(t)} is not a real date and time`);
  const localSeconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  let offset: number | undefined;
  if (m[6] !== undefined) {
    offset = fixedOffsetMinutes(m[6]);
    if (offset === undefined) return fail('invalid-timestamp', `${quoteValue(t)} has an impossible offset ${m[6]}`);
  } else {
    offset = (typeof zone === 'string' ? resolveTimeZone(zone) : zone).offsetAtLocal(localSeconds * 1000);
  }
  // Digits past the microsecond are dropped (the lake stores microseconds).
  const micros = BigInt((m[5] ?? '').padEnd(6, '0').slice(0, 6));
  return ok(BigInt(localSeconds - offset * 60) * 1_000_000n + micros);
}
