import { describe, expect, it } from 'vitest';
import { applyConversion, convert, parseUnit, toUcum, unitConversion } from '../src/index.js';

describe('unit spellings → UCUM', () => {
  it.each([
    ['°C', 'Cel'],
    ['degC', 'Cel'],
    ['C', 'Cel'],
    ['℃', 'Cel'],
    ['°F', '[degF]'],
    ['K', 'K'],
    ['cm', 'cm'],
    ['in', '[in_i]'],
    ['kg ha-1', 'kg/ha'],
    ['kg/ha', 'kg/ha'],
    ['kg·ha⁻¹', 'kg/ha'],
    ['t/ha', 't/ha'],
    ['Mg/ha', 't/ha'],
    ['g/m2', 'g/m2'],
    ['g/m²', 'g/m2'],
    ['g m-2', 'g/m2'],
    ['lb/ac', '[lb_av]/[acr_us]'],
    ['lbs per acre', '[lb_av]/[acr_us]'],
    ['mm/d', 'mm/d'],
    ['mm/day', 'mm/d'],
    ['mm d-1', 'mm/d'],
    ['m/s', 'm/s'],
    ['m s-1', 'm/s'],
    ['km/h', 'km/h'],
    ['kph', 'km/h'],
    ['kPa', 'kPa'],
    ['hpa', 'hPa'],
    ['MJ/m2/d', 'MJ/m2/d'],
    ['MJ m-2 d-1', 'MJ/m2/d'],
    ['%', '%'],
    ['percent', '%'],
  ])('%s → %s', (spelling, code) => {
    expect(toUcum(spelling)).toBe(code);
  });

  it('unknown spellings and offset units in compounds are refused with a reason', () => {
    expect(parseUnit('furlongs')).toEqual({ ok: false, message: 'unknown unit "furlongs" (no unit "furlongs")' });
    expect(parseUnit('Cel/d')).toMatchObject({ ok: false, message: expect.stringContaining('offset') });
  });
});

describe('convert', () => {
  it.each([
    [12.5, 'cm', 'm', 0.125],
    [1, 'in', 'cm', 2.54],
    [1000, 'mm', 'm', 1],
    [1, 'lb', 'kg', 0.45359237],
    [2500, 'g', 'kg', 2.5],
    [3, 't', 'kg', 3000],
    [4.2, 't/ha', 'kg/ha', 4200],
    [100, 'g/m2', 'kg/ha', 1000],
    [20, '°C', '°F', 68],
    [212, '°F', '°C', 100],
    [300, 'K', '°C', 26.85],
    [-40, 'degC', 'degF', -40],
    [101.3, 'kPa', 'hPa', 1013],
    [36, 'km/h', 'm/s', 10],
    [50, '%', '1', 0.5],
  ])('%d %s → %s = %d (exactly)', (value, from, to, expected) => {
    const result = convert(value, from, to);
    expect(result.ok && result.value).toBe(expected);
  });

  it('lb/ac → kg/ha through the UCUM acre', () => {
    const result = convert(1, 'lb/ac', 'kg/ha');
    expect(result.ok && result.value).toBeCloseTo(1.12085, 5);
  });

  it('returns the conversion for lineage', () => {
    expect(unitConversion('cm', 'm')).toEqual({
      ok: true,
      conversion: { from: 'cm', to: 'm', factor: 0.01, exact: { numerator: 1, offsetNumerator: 0, denominator: 100 } },
    });
    const f = unitConversion('°C', '[degF]');
    expect(f).toMatchObject({ ok: true, conversion: { from: 'Cel', to: '[degF]', factor: 1.8, offset: 32 } });
    if (f.ok) expect(applyConversion(37, f.conversion)).toBe(98.6);
  });

  it('unknown and incompatible units are errors with a rule', () => {
    expect(convert(1, 'cm', 'kg')).toEqual({ ok: false, rule: 'incompatible-unit', message: 'cannot convert cm to kg: they measure different things' });
    expect(convert(1, 'cubits', 'm')).toMatchObject({ ok: false, rule: 'unknown-unit' });
    expect(convert(1, 'mm/d', 'kg/ha')).toMatchObject({ ok: false, rule: 'incompatible-unit' });
  });
});
