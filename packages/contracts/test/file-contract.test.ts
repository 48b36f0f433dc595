import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ContractError, isFileSource, loadContracts, parseContract } from '../src/index.js';

const SCHEMAS = fileURLToPath(new URL('../../../schemas', import.meta.url));

const base = (source: string, fields: string) => `
dataset: { name: uploads, domain: phenotype, schema_version: 1.0.0 }
source: ${source}
fields:
${fields}
`;

describe('file source contracts', () => {
  it('every file contract in schemas/ loads, with defaults filled', async () => {
    const files = (await loadContracts(SCHEMAS)).filter(isFileSource);
    expect(files.map((c) => `${c.dataset.domain}.${c.dataset.name}`)).toEqual(
      expect.arrayContaining(['climate.daily_weather_files', 'genotype.calls_files', 'phenotype.fieldbook_observations', 'phenotype.brapi_observations_files']),
    );
    const fb = files.find((c) => c.dataset.name === 'fieldbook_observations');
    expect(fb?.source).toMatchObject({ kind: 'file', format: 'delimited', unique: true, timezone: 'UTC', extensions: ['.csv', '.tsv', '.txt'], joins: [] });
    expect(fb?.schedule).toBe('');
    expect(fb?.fields.find((f) => f.name === 'trait_curie')).toMatchObject({ source: 'trait', cell: 'trait_curie' });
    const logs = files.find((c) => c.dataset.name === 'sensor_log_files');
    expect(logs?.source).toMatchObject({ format: 'json', extensions: ['.json', '.ndjson', '.jsonl'], key: ['device', 'sensor', 'observed_at'] });
  });

  it('declares synonyms, missing tokens, zones, units and references per field', () => {
    const c = parseContract(
      base(
        '{ kind: file, format: delimited, key: [plot], missing: [NA, "-99"], timezone: America/New_York }',
        `  - { name: plot, type: string, nullable: false, synonyms: [plot_name, PLOT] }
  - { name: height, type: float64, unit: m, synonyms: ['Plant height (cm)', PH], missing: ['-999'] }
  - { name: germplasm, type: string, references: { dataset: phenotype.germplasm, column: germplasm_name } }`,
      ),
      'uploads.yaml',
    );
    expect(c.source).toMatchObject({ missing: ['NA', '-99'], timezone: 'America/New_York' });
    expect(c.fields[1]).toMatchObject({ unit: 'm', synonyms: ['Plant height (cm)', 'PH'], missing: ['-999'] });
    expect(c.fields[2]?.references).toEqual({ dataset: 'phenotype.germplasm', column: 'germplasm_name' });
  });

  it('names the place of each semantic problem', () => {
    const bad = () =>
      parseContract(
        base(
          '{ kind: file, format: brapi, key: [nope], timezone: Mars/Olympus }',
          `  - { name: v, type: int32, cell: trait_name }
  - { name: w, type: string, cast_by: x, when: [Numerical] }
  - { name: h, type: float64, observation_variable: PH_cm }`,
        ),
        'bad.yaml',
      );
    expect(bad).toThrow(ContractError);
    expect(bad).toThrow(/source\/key "nope" is not a field/);
    expect(bad).toThrow(/brapi_entity is required/);
    expect(bad).toThrow(/timezone "Mars\/Olympus"/);
    expect(bad).toThrow(/fields\/0 a trait_name cell part is a string/);
    expect(bad).toThrow(/fields\/1 cast_by and scale read PostgreSQL/);
    expect(bad).toThrow(/fields\/2 binds observation variable "PH_cm" but \/source\/variables names no variables dataset/);
  });

  it('keeps file-only properties out of PostgreSQL contracts', () => {
    expect(() =>
      parseContract(base('{ kind: postgres, table: t, key: [id] }', '  - { name: id, type: int64, synonyms: [ID] }'), 'pg.yaml'),
    ).toThrow(/fields\/0 synonyms applies to file sources only/);
  });
});
