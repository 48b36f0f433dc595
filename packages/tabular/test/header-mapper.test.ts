import { describe, expect, it } from 'vitest';
import { mapHeader, normalizeHeaderName, splitHeaderUnit } from '../src/index.js';

describe('header names', () => {
  it('split off a bracketed unit', () => {
    expect(splitHeaderUnit('Plant height (cm)')).toEqual({ name: 'Plant height', unitText: 'cm' });
    expect(splitHeaderUnit('Tmean[°C]')).toEqual({ name: 'Tmean', unitText: '°C' });
    expect(splitHeaderUnit('Yield {kg/ha}')).toEqual({ name: 'Yield', unitText: 'kg/ha' });
    expect(splitHeaderUnit('(cm)')).toEqual({ name: '(cm)' });
    expect(splitHeaderUnit('plot')).toEqual({ name: 'plot' });
  });

  it('normalize case, spaces, punctuation and diacritics', () => {
    expect(['Plant height', 'plant_height', 'PLANT-HEIGHT', ' Plant  Height '].map(normalizeHeaderName)).toEqual(Array(4).fill('plantheight'));
    expect(normalizeHeaderName('Höhe')).toBe('hohe');
  });
});

describe('mapHeader', () => {
  const fields = [
    { name: 'plot_name', synonyms: ['plot_id', 'plot'], required: true },
    { name: 'plant_height', synonyms: ['PH', 'Plant height (cm)'], unit: 'm' },
    { name: 'yield', unit: 'kg/ha' },
    { name: 'date', synonyms: ['YYYYMMDD'], required: true },
    { name: 'tmean', unit: 'Cel' },
  ];

  it('maps synonyms and extracts units into conversions', () => {
    const mapping = mapHeader(['Plot ID', 'PH (cm)', 'Yield (t ha-1)', 'Tmean[°C]', 'notes'], fields, { line: 3 });
    expect(mapping.columns).toEqual([
      { field: 'plot_name', index: 0, header: 'Plot ID' },
      { field: 'plant_height', index: 1, header: 'PH (cm)', unit: 'cm', conversion: { from: 'cm', to: 'm', factor: 0.01, exact: { numerator: 1, offsetNumerator: 0, denominator: 100 } } },
      { field: 'yield', index: 2, header: 'Yield (t ha-1)', unit: 't/ha', conversion: { from: 't/ha', to: 'kg/ha', factor: 1000, exact: { numerator: 1000, offsetNumerator: 0, denominator: 1 } } },
      { field: 'tmean', index: 3, header: 'Tmean[°C]', unit: 'Cel' },
    ]);
    expect(mapping.unmapped).toEqual([{ column: 5, header: 'notes' }]);
    expect(mapping.missing).toEqual(['date']);
    expect(mapping.errors).toEqual([
      { kind: 'error', line: 3, rule: 'missing-field', message: 'no header cell for required field date (looked for "date", "YYYYMMDD")', raw: 'Plot ID,PH (cm),Yield (t ha-1),Tmean[°C],notes' },
    ]);
  });

  it('a header without a unit is taken to be in the field unit', () => {
    expect(mapHeader(['plant height'], fields).columns).toEqual([{ field: 'plant_height', index: 0, header: 'plant height', unit: 'm' }]);
  });

  it('the header that matches the synonym with its unit', () => {
    expect(mapHeader(['Plant height (cm)'], fields).columns[0]).toMatchObject({ field: 'plant_height', unit: 'cm', conversion: { factor: 0.01 } });
  });

  it('unknown and incompatible header units are located errors', () => {
    const mapping = mapHeader(['plot', 'PH (cubits)', 'Yield (cm)'], fields);
    expect(mapping.errors.map((e) => [e.column, e.field, e.rule])).toEqual([
      [2, 'plant_height', 'unknown-unit'],
      [3, 'yield', 'incompatible-unit'],
      [undefined, undefined, 'missing-field'],
    ]);
    expect(mapping.errors[1]?.message).toBe('header "Yield (cm)": cannot convert cm to kg/ha: they measure different things (field yield is in kg/ha)');
  });

  it('a bracket that is no unit is harmless when the field has no unit', () => {
    expect(mapHeader(['Plot (optional)'], fields).columns).toEqual([{ field: 'plot_name', index: 0, header: 'Plot (optional)' }]);
  });

  it('a field with an unknown canonical unit is a programmer error', () => {
    expect(() => mapHeader(['x'], [{ name: 'x', unit: 'furlong' }])).toThrow(TypeError);
  });
});
