import { describe, expect, it } from 'vitest';
import { createCellParser, parseCell, parseDecimalText, parseNumberText, parseTraitCell } from '../src/index.js';

describe('numbers', () => {
  it.each([
    ['12.5', '.', 12.5],
    [' -3 ', '.', -3],
    ['+.5', '.', 0.5],
    ['1e3', '.', 1000],
    ['1,234,567', '.', 1234567],
    ['1,234.5', '.', 1234.5],
    ['1 234.5', '.', 1234.5],
    ['12,5', ',', 12.5],
    ['-0,25', ',', -0.25],
    ['1.234,5', ',', 1234.5],
    ['1.234.567', ',', 1234567],
    ['1 234,5', ',', 1234.5],
  ] as const)('%j with %j', (text, sep, value) => {
    expect(parseNumberText(text, sep)).toEqual({ ok: true, value });
  });

  it('a single thousands group is ambiguous; the other decimal separator is not a number', () => {
    expect(parseNumberText('1,234', '.')).toEqual({
      ok: false,
      rule: 'ambiguous-number',
      message: '"1,234" is ambiguous: 1234 with a thousands separator, or a decimal ,? (decimal separator is ".")',
    });
    expect(parseNumberText('1.234', ',')).toMatchObject({ ok: false, rule: 'ambiguous-number' });
    expect(parseNumberText('12,5', '.')).toEqual({ ok: false, rule: 'invalid-number', message: '"12,5" is not a number (decimal separator is ".")' });
    expect(parseNumberText('Four')).toEqual({ ok: false, rule: 'invalid-number', message: '"Four" is not a number' });
    expect(parseNumberText('1e999')).toMatchObject({ ok: false, rule: 'out-of-range' });
  });
});

describe('cells by lake type', () => {
  it('integers with range checks', () => {
    expect(parseCell('42', 'int16')).toEqual({ ok: true, value: 42 });
    expect(parseCell('3.0', 'int32')).toEqual({ ok: true, value: 3 });
    expect(parseCell('40000', 'int16')).toEqual({ ok: false, rule: 'out-of-range', message: '"40000" is outside int16 (-32768..32767)' });
    expect(parseCell('2.5', 'int32')).toEqual({ ok: false, rule: 'invalid-integer', message: '"2.5" is not an integer (int32)' });
    expect(parseCell('9223372036854775807', 'int64')).toEqual({ ok: true, value: 9223372036854775807n });
    expect(parseCell('9223372036854775808', 'int64')).toMatchObject({ ok: false, rule: 'out-of-range' });
    expect(parseCell('a', 'int32')).toMatchObject({ ok: false, rule: 'invalid-integer' });
  });

  it('decimals are canonical strings, never rounded', () => {
    expect(parseDecimalText('12,5', 6, 2, ',')).toEqual({ ok: true, value: '12.50' });
    expect(parseCell('-0.00', 'decimal(5,2)')).toEqual({ ok: true, value: '0.00' });
    expect(parseCell('1.005', 'decimal(5,2)')).toMatchObject({ ok: false, rule: 'invalid-decimal' });
    expect(parseCell('12345', 'decimal(5,2)')).toMatchObject({ ok: false, rule: 'out-of-range' });
  });

  it('booleans, strings, json, lists', () => {
    expect(parseCell('Yes', 'boolean')).toEqual({ ok: true, value: true });
    expect(parseCell('FALSE', 'boolean')).toEqual({ ok: true, value: false });
    expect(parseCell('maybe', 'boolean')).toEqual({ ok: false, rule: 'invalid-boolean', message: '"maybe" is not a boolean (true/false, yes/no, 1/0)' });
    expect(parseCell(' x ', 'string')).toEqual({ ok: true, value: ' x ' });
    expect(parseCell('{"a":1}', 'json')).toEqual({ ok: true, value: '{"a":1}' });
    expect(parseCell('{a', 'json')).toMatchObject({ ok: false, rule: 'invalid-json' });
    expect(parseCell('1; 2; NA', 'list<int32>')).toEqual({ ok: true, value: [1, 2, null] });
  });

  it('missing values: defaults, replaced, and per-field extras', () => {
    for (const token of ['', 'NA', 'n/a', 'NaN', 'null', '.', '-']) expect(parseCell(token, 'float64')).toEqual({ ok: true, value: null });
    const nasa = createCellParser('float64', { extraMissingValues: ['-999'] });
    expect(nasa('-999')).toEqual({ ok: true, value: null });
    expect(nasa('-99')).toEqual({ ok: true, value: -99 });
    expect(createCellParser('string', { missingValues: [] })('NA')).toEqual({ ok: true, value: 'NA' });
  });

  it('options are checked once, up front', () => {
    expect(() => createCellParser('float64', { timezone: 'Nowhere/Else' })).toThrow(TypeError);
    expect(() => createCellParser('uint8' as never)).toThrow();
  });
});

describe('trait cells', () => {
  it('name|CURIE in both Field Book spellings', () => {
    expect(parseTraitCell('plant_height|CO_334:0000018')).toEqual({ ok: true, value: { name: 'plant_height', curie: 'CO_334:0000018' } });
    expect(parseTraitCell('dry matter content|CO:0000092')).toEqual({ ok: true, value: { name: 'dry matter content', curie: 'CO:0000092' } });
    expect(parseTraitCell('CO_334:0000018')).toEqual({ ok: true, value: { name: null, curie: 'CO_334:0000018' } });
    expect(parseTraitCell('dry yield')).toMatchObject({ ok: false, rule: 'invalid-trait' });
    expect(parseTraitCell('|CO:1')).toMatchObject({ ok: false, rule: 'invalid-trait' });
  });
});
