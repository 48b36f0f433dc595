/**
 * BrAPI date-time and date values, normalized to the lake's representations
 * (`@lake/contracts` → `lake-type.ts`: timestamp = bigint µs UTC, date = days since 1970).
 *
 * The standard says ISO 8601, but 169 of its own 190 example timestamps write the offset
 * without a colon (`2018-01-01T14:47:23-0600`), and Breedbase / Field Book exports use a space
 * instead of `T` (`2016-01-07 12:08:24-0500`). Both are accepted. A timestamp without any
 * offset is rejected: it names a wall-clock time in an unknown zone, and guessing UTC would
 * silently shift field observations by hours.
 */

/** A date-time normalized to UTC. */
export interface BrapiTimestamp {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  micros: bigint;
  /** The same instant as ISO 8601 in UTC with microsecond precision: `2018-01-01T20:47:23.000000Z`. */
  iso: string;
  /** The offset the value was written with, in minutes east of UTC (`-0600` → -360). */
  offsetMinutes: number;
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const DATE_DASHED = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const MICROS_PER_MINUTE = 60_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Parses a BrAPI date-time. Accepted: `T`, `t` or space between date and time; seconds and a
 * fraction optional (digits past microseconds are truncated); offset `Z`, `±hh:mm`, `±hhmm` or
 * `±hh`. Returns null when the text is not such a timestamp or names an impossible date/time.
 */
export function parseBrapiTimestamp(text: string): BrapiTimestamp | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zulu, sign, oh = '0', om = '0'] = m;
  const days = civilDays(Number(y), Number(mo), Number(d));
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const offH = Number(oh);
  const offM = Number(om);
  if (days === null || hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return null;
  const offsetMinutes = zulu ? 0 : (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  const fraction = BigInt(frac.slice(0, 6).padEnd(6, '0'));
  const localMicros =
    BigInt(days) * MICROS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * 1_000_000n + fraction;
  const micros = localMicros - BigInt(offsetMinutes) * MICROS_PER_MINUTE;
  return { micros, iso: microsToIso(micros), offsetMinutes };
}

/**
 * Parses a BrAPI date (`format: date`) to days since 1970-01-01. Accepts `YYYY-MM-DD` and the
 * MCPD form `YYYYMMDD` (Germplasm.acquisitionDate is documented as MCPD ACQDATE). Partial MCPD
 * dates (`1968----`, `19680000`) are rejected: a lake date cannot say "some day in 1968".
 */
export function parseBrapiDate(text: string): number | null {
  const m = DATE_DASHED.exec(text.trim()) ?? DATE_COMPACT.exec(text.trim());
  if (!m) return null;
  return civilDays(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function microsToIso(micros: bigint): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const date = new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
  const secs = Number(rest / 1_000_000n);
  const frac = String(rest % 1_000_000n).padStart(6, '0');
  const hh = String(Math.floor(secs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((secs % 3600) / 60)).padStart(2, '0');
  const ss = String(secs % 60).padStart(2, '0');
  return `${date}T${hh}:${mm}:${ss}.${frac}Z`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date, or null when the date does not exist. */
function civilDays(year: number, month: number, day: number): number | null {
  if (month < 1 || month > 12 || day < 1) return null;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const back = new Date(0);
  back.setUTCFullYear(year, month - 1, day);
  const ms = back.getTime();
  // Dates roll 2019-02-30 over to March; the round trip catches it.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return ms / 86_400_000;
}
