/** The whole path on real files: bytes → header mapping → typed rows or located errors. */
import { describe, expect, it } from 'vitest';
import { createRowTyper, mapHeader, openTable, parseTraitCell, type TypedRow } from '../src/index.js';
import { chunked, referenceBytes } from './helpers.js';

describe('typed rows from reference files', () => {
  it('pyet: dates from YYYYMMDD, °C converted to K exactly, 365 rows', async () => {
    const table = await openTable(chunked(referenceBytes('climate/pyet_10_example_meteo.csv'), 100, 5000));
    const mapping = mapHeader(table.header!, [
      { name: 'date', synonyms: ['YYYYMMDD'], required: true },
      { name: 'tmean', unit: 'K' },
      { name: 'u2', unit: 'km/h' },
    ]);
    const type = createRowTyper(mapping, [
      { name: 'date', type: 'date' },
      { name: 'tmean', type: 'float64' },
      { name: 'u2', type: 'float64' },
    ]);
    const rows: TypedRow[] = [];
    for await (const record of table.records) {
      const typed = record.kind === 'row' ? type(record) : record;
      if (typed.kind === 'error') throw new Error(typed.message);
      rows.push(typed);
    }
    expect(rows).toHaveLength(365);
    expect(rows[0]).toEqual({ kind: 'row', line: 2, values: { date: 17532, tmean: 279.95, u2: 18 } });
  });

  it('Field Book: -0500 timestamps, name|CURIE traits, blank values missing', async () => {
    const table = await openTable([referenceBytes('phenotype/fieldbook_phenotype_file_rev04bfbeb.csv')]);
    const mapping = mapHeader(table.header!, [
      { name: 'observation_unit', synonyms: ['plot_name', 'plot_id'], required: true },
      { name: 'trait', required: true },
      { name: 'value' },
      { name: 'timestamp', required: true },
    ]);
    expect(mapping.errors).toEqual([]);
    const type = createRowTyper(mapping, [
      { name: 'observation_unit', type: 'string' },
      { name: 'trait', type: 'string' },
      { name: 'value', type: 'string' },
      { name: 'timestamp', type: 'timestamp' },
    ]);
    const typed = [];
    for await (const record of table.records) if (record.kind === 'row') typed.push(type(record));
    expect(typed[0]).toEqual({
      kind: 'row',
      line: 2,
      values: { observation_unit: 'test_trial21', trait: 'dry matter content|CO:0000092', value: '42', timestamp: 1452186504000000n },
    });
    expect(typed.filter((r) => r.kind === 'row' && r.values.value === null)).toHaveLength(2);
    const traits = new Set(typed.map((r) => (r.kind === 'row' ? JSON.stringify(parseTraitCell(String(r.values.trait))) : '')));
    expect([...traits].map((t) => JSON.parse(t).value.curie).sort()).toEqual(['CO:0000014', 'CO:0000092', 'CO:0010472']);
  });

  it('trait ontology: `Four` in a numeric field is a located cell error', async () => {
    const table = await openTable([referenceBytes('trait-ontology/multiple_rows_parsing_errors.csv')]);
    const mapping = mapHeader(table.header!, [{ name: 'Name' }, { name: 'Scale decimal places' }]);
    const type = createRowTyper(mapping, [
      { name: 'Name', type: 'string' },
      { name: 'Scale decimal places', type: 'int32' },
    ]);
    const out = [];
    for await (const record of table.records) out.push(record.kind === 'row' ? type(record) : record);
    expect(out.map((r) => r.kind)).toEqual(['row', 'row', 'error']);
    expect(out[2]).toEqual({
      kind: 'error',
      line: 4,
      column: 14,
      field: 'Scale decimal places',
      rule: 'invalid-integer',
      message: 'Scale decimal places: "Four" is not an integer (int32)',
      raw: 'Four',
    });
  });

  it('NASA POWER: -999 declared missing for the file', async () => {
    const text = (await import('node:fs')).readFileSync('/work/shared/reference/datasets/climate/nasapower_daily_ag_point.csv', 'utf8').replace('-24.36', '-999');
    const table = await openTable([new TextEncoder().encode(text)]);
    const mapping = mapHeader(table.header!, [{ name: 'T2M', unit: 'Cel' }, { name: 'PS', unit: 'hPa' }]);
    const type = createRowTyper(mapping, [
      { name: 'T2M', type: 'float64', options: { extraMissingValues: ['-999'] } },
      { name: 'PS', type: 'float64' },
    ]);
    for await (const record of table.records) {
      // The header says nothing of units: values are taken as already in the field's unit.
      expect(record.kind === 'row' && type(record)).toEqual({ kind: 'row', line: 16, values: { T2M: null, PS: 69.23 } });
    }
  });
});
