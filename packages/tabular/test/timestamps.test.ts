import { describe, expect, it } from 'vitest';
import { parseCell, parseDateText, parseTimestampText, resolveTimeZone } from '../src/index.js';

const micros = (iso: string, extraMicros = 0n) => BigInt(Date.parse(iso)) * 1000n + extraMicros;

describe('timestamps → bigint microseconds UTC', () => {
  it.each([
    ['2016-01-07 12:08:24-0500', '2016-01-07T17:08:24Z'],
    ['2016-01-07T12:08:24-05:00', '2016-01-07T17:08:24Z'],
    ['2016-01-07T12:08:24-05', '2016-01-07T17:08:24Z'],
    ['2018-01-01T14:47:23-0600', '2018-01-01T20:47:23Z'],
    ['2016-01-07T17:08:24Z', '2016-01-07T17:08:24Z'],
    ['2016-01-07 17:08:24 UTC', '2016-01-07T17:08:24Z'],
    ['2016-01-07T22:38:24+05:30', '2016-01-07T17:08:24Z'],
    ['2016-01-07 17:08', '2016-01-07T17:08:00Z'],
    ['2016-01-07', '2016-01-07T00:00:00Z'],
  ])('%s', (text, iso) => {
    expect(parseTimestampText(text)).toEqual({ ok: true, value: micros(iso) });
  });

  it('keeps microseconds and drops digits past them', () => {
    expect(parseTimestampText('2016-01-07T17:08:24.123456Z')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z', 123456n) });
    expect(parseTimestampText('2016-01-07T17:08:24.1234567Z')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z', 123456n) });
    expect(parseTimestampText('2016-01-07T17:08:24,5Z')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z', 500000n) });
  });

  it('reads naive times in the declared zone: fixed offsets and IANA names (with DST)', () => {
    expect(parseTimestampText('2016-01-07 12:08:24', '-05:00')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z') });
    expect(parseTimestampText('2016-01-07 22:38:24', '+0530')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z') });
    expect(parseTimestampText('2016-01-07 12:08:24', 'America/New_York')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z') });
    expect(parseTimestampText('2016-07-07 12:08:24', 'America/New_York')).toEqual({ ok: true, value: micros('2016-07-07T16:08:24Z') });
    expect(parseTimestampText('2016-07-07 12:08:24', 'Asia/Kolkata')).toEqual({ ok: true, value: micros('2016-07-07T06:38:24Z') });
    // An explicit offset wins over the declared zone.
    expect(parseTimestampText('2016-01-07 12:08:24-0500', 'Asia/Kolkata')).toEqual({ ok: true, value: micros('2016-01-07T17:08:24Z') });
  });

  it('slash dates in the declared order', () => {
    expect(parseTimestampText('01/07/2016 12:08', 'UTC', 'MDY')).toEqual({ ok: true, value: micros('2016-01-07T12:08:00Z') });
    expect(parseTimestampText('07/01/2016 12:08', 'UTC', 'DMY')).toEqual({ ok: true, value: micros('2016-01-07T12:08:00Z') });
  });

  it('failures name the value and the expected form', () => {
    expect(parseTimestampText('2016-02-30 10:00')).toEqual({ ok: false, rule: 'invalid-timestamp', message: '"2016-02-30 10:00" is not a real date and time' });
    expect(parseTimestampText('yesterday')).toEqual({
      ok: false,
      rule: 'invalid-timestamp',
      message: '"yesterday" is not a timestamp (expected e.g. 2016-01-07 12:08:24-0500)',
    });
    expect(parseTimestampText('2016-01-07T10:00+25:00').ok).toBe(false);
    expect(parseTimestampText('01/07/2016 12:08')).toMatchObject({ ok: false, rule: 'invalid-timestamp', message: expect.stringContaining('ambiguous') });
  });

  it('an unknown zone option is a programmer error', () => {
    expect(() => resolveTimeZone('Mars/Olympus')).toThrow(TypeError);
  });

  it('through parseCell, missing tokens are null', () => {
    expect(parseCell('NA', 'timestamp')).toEqual({ ok: true, value: null });
    expect(parseCell('2016-01-07 12:08:24-0500', 'timestamp')).toEqual({ ok: true, value: 1452186504000000n });
  });
});

describe('dates → days since 1970', () => {
  it.each([
    ['2018-01-01', 'YMD', 17532],
    ['20180101', 'YMD', 17532],
    ['2018/1/1', 'YMD', 17532],
    ['12/31/2017', 'MDY', 17531],
    ['31/12/2017', 'DMY', 17531],
    ['31.12.2017', 'DMY', 17531],
    ['1969-12-31', 'YMD', -1],
    ['0050-01-01', 'YMD', -701265],
  ] as const)('%s (%s)', (text, order, days) => {
    expect(parseDateText(text, order)).toEqual({ ok: true, value: days });
  });

  it('rejects impossible and ambiguous dates with a reason', () => {
    expect(parseDateText('2017-02-29')).toEqual({ ok: false, rule: 'invalid-date', message: '"2017-02-29" is not a calendar date' });
    expect(parseDateText('2016-02-29')).toEqual({ ok: true, value: 16860 });
    expect(parseDateText('01/07/2016')).toMatchObject({ ok: false, rule: 'invalid-date', message: expect.stringContaining('ambiguous') });
    expect(parseDateText('13/31/2016', 'MDY')).toMatchObject({ ok: false, rule: 'invalid-date' });
  });
});
