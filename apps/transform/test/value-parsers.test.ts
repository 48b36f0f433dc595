import { describe, expect, it } from 'vitest';
import { parseDateText, parseDecimalText, parseFloatText, parseIntText, parseTimestampText } from '../src/value-parsers.js';

describe('parseTimestampText', () => {
  const utc = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
  it('reads BrAPI offsets without a colon as UTC instants', () => {
    expect(parseTimestampText('2018-01-01T14:47:23-0600')).toBe(utc('2018-01-01T20:47:23Z'));
    expect(parseTimestampText('2016-01-07 12:08:24-0500')).toBe(utc('2016-01-07T17:08:24Z'));
  });
  it('keeps microseconds and reads Z, colon offsets and naive times in the declared zone', () => {
    expect(parseTimestampText('2020-02-29T00:00:00.123456Z')).toBe(utc('2020-02-29T00:00:00Z') + 123456n);
    expect(parseTimestampText('2020-02-29T05:30:00+05:30')).toBe(utc('2020-02-29T00:00:00Z'));
    expect(parseTimestampText('2020-02-29 10:00:00', '-05:00')).toBe(utc('2020-02-29T15:00:00Z'));
    expect(parseTimestampText('1969-12-31T23:59:59.999999Z')).toBe(-1n);
  });
  it('refuses impossible dates and garbage', () => {
    for (const bad of ['2019-13-45T00:00:00Z', '2019-02-29', 'yesterday', '2019-01-01T25:00:00', '']) {
      expect(parseTimestampText(bad), bad).toBeUndefined();
    }
  });
});

describe('number, date and decimal parsers', () => {
  it('accepts plain decimals only', () => {
    expect(parseFloatText(' 12.5 ')).toBe(12.5);
    expect(parseFloatText('-3')).toBe(-3);
    expect(parseFloatText('12,5')).toBeUndefined();
    expect(parseFloatText('abc')).toBeUndefined();
    expect(parseFloatText('NaN')).toBeUndefined();
  });
  it('checks integer ranges', () => {
    expect(parseIntText('32767', 16)).toBe(32767);
    expect(parseIntText('32768', 16)).toBeUndefined();
    expect(parseIntText('1.5', 32)).toBeUndefined();
  });
  it('reads dates as days since 1970 and refuses impossible ones', () => {
    expect(parseDateText('1970-01-02')).toBe(1);
    expect(parseDateText('1969-12-31')).toBe(-1);
    expect(parseDateText('20240229')).toBe(19782);
    expect(parseDateText('2019-13-45')).toBeUndefined();
  });
  it('canonicalizes decimals to the scale and refuses overflow or rounding', () => {
    expect(parseDecimalText('12.5', 6, 2)).toBe('12.50');
    expect(parseDecimalText('-0.00', 6, 2)).toBe('0.00');
    expect(parseDecimalText('12.345', 6, 2)).toBeUndefined();
    expect(parseDecimalText('12345.6', 6, 2)).toBeUndefined();
  });
});
