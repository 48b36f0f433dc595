import { describe, expect, it } from 'vitest';
import { microsToIso, parseBrapiDate, parseBrapiTimestamp } from '../src/index.js';

describe('parseBrapiTimestamp', () => {
  it.each([
    ['2018-01-01T14:47:23-0600', '2018-01-01T20:47:23.000000Z', -360],
    ['2018-01-01T14:47:23-06:00', '2018-01-01T20:47:23.000000Z', -360],
    ['2018-01-01T14:47:23-06', '2018-01-01T20:47:23.000000Z', -360],
    ['2016-01-07 12:08:24-0500', '2016-01-07T17:08:24.000000Z', -300],
    ['2020-08-12T18:10:40.413Z', '2020-08-12T18:10:40.413000Z', 0],
    ['2019-09-10T18:13:27.2234567Z', '2019-09-10T18:13:27.223456Z', 0],
    ['2018-12-31T23:30:00+0530', '2018-12-31T18:00:00.000000Z', 330],
    ['2018-01-01T00:15-0100', '2018-01-01T01:15:00.000000Z', -60],
    ['1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.999999Z', 0],
  ])('%s → %s', (text, iso, offsetMinutes) => {
    const parsed = parseBrapiTimestamp(text);
    expect(parsed).toEqual({ micros: BigInt(Date.parse(iso)) * 1000n + BigInt(iso.slice(23, 26)), iso, offsetMinutes });
  });

  it.each(['2018-01-01T14:47:23', '2018-01-01', '2018-02-30T00:00:00Z', '2018-01-01T24:00:00Z', '2018-01-01T14:47:23-2500', 'yesterday', ''])(
    'rejects %j',
    (text) => expect(parseBrapiTimestamp(text)).toBeNull(),
  );

  it('formats negative microseconds', () => {
    expect(microsToIso(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });
});

describe('parseBrapiDate', () => {
  it('reads ISO and MCPD dates as days since 1970', () => {
    expect(parseBrapiDate('2018-01-01')).toBe(17532);
    expect(parseBrapiDate('20180101')).toBe(17532);
    expect(parseBrapiDate('0050-01-01')).toBe(-701265);
    expect(parseBrapiDate('1968----')).toBeNull();
    expect(parseBrapiDate('19680000')).toBeNull();
    expect(parseBrapiDate('2019-02-29')).toBeNull();
  });
});
