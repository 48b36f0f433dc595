import { FILE_STAGING, FILE_STAGING_COLUMNS, type ColumnSpec, parseContract } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { RowValidator } from '../src/row-validator.js';

const contract = parseContract(
  `
dataset: { name: plots, domain: phenotype, schema_version: 1.0.0 }
source: { kind: file, format: delimited, key: [plot], variables: phenotype.variables }
fields:
  - { name: plot, type: string, nullable: false }
  - { name: germplasm, type: string, references: { dataset: phenotype.germplasm, column: germplasm_name } }
  - { name: height, type: float64, observation_variable: PH }
  - { name: score, type: string, observation_variable: SCORE }
`,
  'inline',
);
const staging: ColumnSpec[] = [
  { name: 'plot', type: 'string', nullable: true },
  { name: 'germplasm', type: 'string', nullable: true },
  { name: 'height', type: 'float64', nullable: true },
  { name: 'score', type: 'string', nullable: true },
  ...FILE_STAGING_COLUMNS,
];

describe('RowValidator on staged file rows', () => {
  it('quarantines read errors first, then foreign keys and the bound scales, located by file and line', () => {
    const v = new RowValidator(
      contract,
      staging,
      new Map([['germplasm', new Set(['G1', 'G2'])]]),
      new Map([
        ['height', { variable: 'PH', dataType: 'Numerical', decimalPlaces: 1, min: 0, max: 300 }],
        ['score', { variable: 'SCORE', dataType: 'Ordinal', decimalPlaces: null, categories: new Set(['1', '3', '5']) }],
      ]),
    );
    const read = JSON.stringify([{ column: 'height', rule: 'invalid-number', raw: '12,x', message: 'line 5, column 3 (PH): "12,x" is not a number' }]);
    const { valid, rejected } = v.validate(
      {
        rowCount: 5,
        columns: {
          plot: ['p1', 'p2', 'p3', 'p4', 'p5'],
          germplasm: ['G1', 'G9', 'G2', null, 'G1'],
          height: [120.5, 100, 450, null, null],
          score: ['3', '5', '1', '4', '1'],
          [FILE_STAGING.sourceFile]: Array(5).fill('bijmantra-raw/phenotype/plots/u1/plots.csv'),
          [FILE_STAGING.line]: [2n, 3n, 4n, 5n, 6n],
          [FILE_STAGING.errors]: [null, null, null, null, read],
          [FILE_STAGING.record]: [null, null, null, null, '["p5","G1","12,x","1"]'],
          [FILE_STAGING.header]: Array(5).fill(null),
        },
      },
      0,
    );
    expect(valid.rowCount).toBe(1);
    expect(valid.columns.plot).toEqual(['p1']);
    expect(rejected.map((r) => ({ file: r.file, line: r.row, first: [r.violations[0]?.column, r.violations[0]?.rule, r.violations[0]?.raw] }))).toEqual([
      { file: 'bijmantra-raw/phenotype/plots/u1/plots.csv', line: 3, first: ['germplasm', 'foreign_key', 'G9'] },
      { file: 'bijmantra-raw/phenotype/plots/u1/plots.csv', line: 4, first: ['height', 'scale_range', '450'] },
      { file: 'bijmantra-raw/phenotype/plots/u1/plots.csv', line: 5, first: ['score', 'scale_category', '4'] },
      { file: 'bijmantra-raw/phenotype/plots/u1/plots.csv', line: 6, first: ['height', 'invalid-number', '12,x'] },
    ]);
    // A read error on a field is the field's only violation: no second "required" for the same cell.
    expect(rejected[3]?.violations).toHaveLength(1);
  });
});
