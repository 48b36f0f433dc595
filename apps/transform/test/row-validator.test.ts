import { parseContract } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { RowValidator } from '../src/row-validator.js';

const contract = parseContract(
  `
dataset: { name: things, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: things, key: [id] }
fields:
  - { name: id, type: int32, nullable: false }
  - { name: value_numeric, type: float64, source: value, cast_by: data_type, when: [Numerical], scale: valid_values }
  - { name: value_category, type: string, source: value, cast_by: data_type, when: [Ordinal, Nominal], scale: valid_values }
  - { name: taken_at, type: timestamp, source: ts }
  - { name: code, type: string, pattern: "^[A-Z]+$" }
`,
  'inline',
);
const staging = [
  { name: 'id', type: 'int32', nullable: true },
  { name: 'value', type: 'string', nullable: true },
  { name: 'data_type', type: 'string', nullable: true },
  { name: 'valid_values', type: 'json', nullable: true },
  { name: 'ts', type: 'string', nullable: true },
  { name: 'code', type: 'string', nullable: true },
] as const;

describe('RowValidator', () => {
  it('casts by the scale dataType, enforces scales, and locates every violation', () => {
    const v = new RowValidator(contract, [...staging]);
    const { valid, rejected } = v.validate(
      {
        rowCount: 6,
        columns: {
          id: [1, 2, 3, 4, 5, null],
          value: ['12.5', '7', 'abc', '11', '99', '1'],
          data_type: ['Numerical', 'Ordinal', 'Numerical', 'Ordinal', 'Numerical', 'Numerical'],
          valid_values: ['{"min":0,"max":50}', '{"categories":[{"value":"1"},{"value":"7"}]}', null, '{"categories":["1","7"]}', '{"min":0,"max":50}', null],
          ts: ['2018-01-01T14:47:23-0600', null, null, null, null, null],
          code: ['AB', 'CD', 'EF', 'GH', 'IJ', 'x1'],
        },
      },
      100,
    );
    expect(valid.rowCount).toBe(2);
    expect(valid.columns.id).toEqual([1, 2]);
    expect(valid.columns.value_numeric).toEqual([12.5, null]);
    expect(valid.columns.value_category).toEqual([null, '7']);
    expect(valid.columns.taken_at).toEqual([BigInt(Date.parse('2018-01-01T20:47:23Z')) * 1000n, null]);
    expect(rejected.map((r) => [r.row, r.violations.map((x) => `${x.column}:${x.rule}`)])).toEqual([
      [102, ['value_numeric:cast']],
      [103, ['value_category:scale_category']],
      [104, ['value_numeric:scale_range']],
      [105, ['id:required', 'code:pattern']],
    ]);
    expect(rejected[0]?.staged.value).toBe('abc');
    expect(rejected[0]?.violations[0]?.raw).toBe('abc');
  });

  it('refuses staging data that lacks a column the contract reads', () => {
    expect(() => new RowValidator(contract, [{ name: 'id', type: 'int32', nullable: true }])).toThrow(/lacks column\(s\) value, data_type, valid_values, ts, code/);
  });
});
