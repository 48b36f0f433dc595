/**
 * The zone a naive timestamp is read in: `UTC`, a fixed offset (`+05:30`, `-0500`) or an IANA
 * name (`America/New_York`, through `Intl`, so daylight saving applies).
 */

/** A resolved zone: local wall-clock milliseconds → offset minutes east of UTC. */
export interface TimeZone {
  name: string;
  /** Offset (minutes east of UTC) in force at a wall-clock time, given as if it were UTC ms. */
  offsetAtLocal(localMillis: number): number;
}

const FIXED = /^([+-])(\d{2}):?(\d{2})?$/;

/**
 * Offset in minutes of a written zone designator (`Z`, `UTC`, `+05:30`, `-0500`, `-05`), or
 * `undefined` when it is not one.
 */
export function fixedOffsetMinutes(zone: string): number | undefined {
  const z = zone.trim();
  if (z === 'Z' || z === 'z' || z.toUpperCase() === 'UTC' || z.toUpperCase() === 'GMT') return 0;
  const m = FIXED.exec(z);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (Number(m[3] ?? 0) > 59 || minutes > 18 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

const cache = new Map<string, TimeZone>();

/**
 * Resolves a zone option. Throws on an unknown zone: that is a configuration mistake, not data.
 * @example resolveTimeZone('+05:30').offsetAtLocal(0) // 330
 */
export function resolveTimeZone(zone: string): TimeZone {
  const cached = cache.get(zone);
  if (cached) return cached;
  const fixed = fixedOffsetMinutes(zone);
  let resolved: TimeZone;
  if (fixed !== undefined) resolved = { name: zone, offsetAtLocal: () => fixed };
  else {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new TypeError(`unknown time zone ${JSON.stringify(zone)} (use UTC, a fixed offset like +05:30, or an IANA name)`);
    }
    const offsetAtUtc = (utcMillis: number): number => {
      const parts: Record<string, string> = {};
      for (const p of format.formatToParts(new Date(utcMillis))) parts[p.type] = p.value;
      const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
      const wall = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
      return Math.round((wall - Math.floor(utcMillis / 1000) * 1000) / 60000);
    };
    // Two fixed-point steps find the offset for a wall-clock time; in a DST gap or overlap
    // this settles on one of the two candidates (documented, not guessed at further).
    resolved = {
      name: zone,
      offsetAtLocal: (local) => {
        const first = offsetAtUtc(local);
        return offsetAtUtc(local - first * 60000);
      },
    };
  }
  cache.set(zone, resolved);
  return resolved;
}
