/**
 * Every CSV/TSV under reference/datasets/{phenotype,climate,trait-ontology} sniffs and parses
 * to the dialect, header and record counts asserted here (read-only, straight from the share).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapHeader } from '../src/index.js';
import { fixtureBytes, readAll, REFERENCE, referenceBytes } from './helpers.js';

interface Expected {
  encoding: string;
  bom?: boolean;
  delimiter: string;
  lineEnding: string;
  headerLine: number;
  preambleKind?: string;
  header: string[];
  columns: number;
  rows: number;
  errors?: string[];
}

const FIELD_BOOK = ['plot_name', 'range', 'plot', 'rep', 'accession', 'is_a_control', 'trait', 'value', 'timestamp', 'person', 'location', 'number'];

const EXPECTED: Record<string, Expected> = {
  'phenotype/field_coord_upload.tsv': { encoding: 'utf-8', delimiter: '\t', lineEnding: 'LF', headerLine: 1, header: ['plot_name', 'row_number', 'col_number'], columns: 3, rows: 15 },
  'phenotype/fieldbook_phenotype_file.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: FIELD_BOOK, columns: 12, rows: 30 },
  // Quoted, with a trailing comma on the header only.
  'phenotype/fieldbook_phenotype_file_no_fieldbook_image.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: FIELD_BOOK, columns: 12, rows: 30 },
  // 2017 version: `plot_id`, `CO:` CURIEs, photo paths in the value column.
  'phenotype/fieldbook_phenotype_file_rev04bfbeb.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['plot_id', ...FIELD_BOOK.slice(1)], columns: 12, rows: 32 },
  'phenotype/nirs_data_matrix.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['sample_name', 'device_id', 'comments', '350'], columns: 215, rows: 2 },
  'phenotype/trial_layout_example.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['plot_name', 'accession_name', 'plot_number'], columns: 12, rows: 8 },
  'climate/nasapower_climatology_ag_point.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'CRLF', headerLine: 12, preambleKind: 'nasa-power', header: ['PARAMETER', 'JAN', 'FEB'], columns: 14, rows: 1 },
  'climate/nasapower_daily_ag_point.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'CRLF', headerLine: 15, preambleKind: 'nasa-power', header: ['YEAR', 'DOY', 'T2M', 'T2M_MIN', 'T2M_MAX', 'RH2M', 'WS10M', 'PS'], columns: 8, rows: 1 },
  'climate/nasapower_daily_sb_point_LST.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'CRLF', headerLine: 14, preambleKind: 'nasa-power', header: ['YEAR', 'MO', 'DY', 'T2M'], columns: 8, rows: 1 },
  'climate/pyet_10_example_meteo.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['YYYYMMDD', 'Tmean[°C]', 'Tmax[°C]', 'Tmin[°C]', 'RH[%]', 'Rs[MJ/m2/d]', 'u2[m/s]', 'PET_KNMI[mm/d]'], columns: 8, rows: 365 },
  // 21 header cells, 20 data fields: the row is ragged.
  'trait-ontology/data_duplicate_headers.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name', 'ONTOLOgY TErM NaME'], columns: 21, rows: 0, errors: ['2:21:ragged-row'] },
  'trait-ontology/data_min_max_swap.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name', 'Synonyms'], columns: 20, rows: 1 },
  'trait-ontology/data_multiple_rows.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name', 'Synonyms'], columns: 20, rows: 3 },
  'trait-ontology/data_one_row_invalid_scale_class.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name'], columns: 19, rows: 1 },
  'trait-ontology/data_one_row_scale_decimal_invalid.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name'], columns: 19, rows: 1 },
  // BOM, CRLF, rows of empty cells (kept: they are rows, their values are missing).
  'trait-ontology/file_some_null_rows.csv': { encoding: 'utf-8', bom: true, delimiter: ',', lineEnding: 'CRLF', headerLine: 1, header: ['Germplasm Name', 'Breeding Method'], columns: 9, rows: 11 },
  'trait-ontology/full_import.csv': { encoding: 'utf-8', bom: true, delimiter: ',', lineEnding: 'CRLF', headerLine: 1, header: ['GID', 'Germplasm Name'], columns: 11, rows: 3 },
  'trait-ontology/multiple_rows_parsing_errors.csv': { encoding: 'utf-8', delimiter: ',', lineEnding: 'LF', headerLine: 1, header: ['Name', 'Synonyms'], columns: 19, rows: 3 },
  'trait-ontology/nonnumerical_entry_numbers.csv': { encoding: 'utf-8', bom: true, delimiter: ',', lineEnding: 'CRLF', headerLine: 1, header: ['GID', 'Germplasm Name'], columns: 11, rows: 4 },
};

describe('reference files', () => {
  it('covers every CSV/TSV in the three folders', () => {
    const found = ['phenotype', 'climate', 'trait-ontology'].flatMap((dir) =>
      readdirSync(`${REFERENCE}/${dir}`)
        .filter((f) => /\.(csv|tsv)$/.test(f))
        .map((f) => `${dir}/${f}`),
    );
    expect(found.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file}: ${want.rows} rows under the header at line ${want.headerLine}`, async () => {
      const { table, rows, errors } = await readAll([referenceBytes(file)]);
      const d = table.dialect;
      expect({ encoding: d.encoding, bom: d.bom, delimiter: d.delimiter, lineEnding: d.lineEnding, headerLine: d.headerLine }).toEqual({
        encoding: want.encoding,
        bom: want.bom ?? false,
        delimiter: want.delimiter,
        lineEnding: want.lineEnding,
        headerLine: want.headerLine,
      });
      expect(d.preambleKind).toBe(want.preambleKind ?? 'none');
      expect(d.decimalSeparator).toBe('.');
      expect(table.header?.cells.slice(0, want.header.length)).toEqual(want.header);
      expect(table.header?.cells).toHaveLength(want.columns);
      expect(table.headerErrors).toEqual([]);
      expect(rows).toBe(want.rows);
      expect(errors.map((e) => (e.kind === 'error' ? `${e.line}:${e.column}:${e.rule}` : ''))).toEqual(want.errors ?? []);
    });
  }

  it('Field Book: the trailing comma of the quoted export is noted, rows keep 12 fields', async () => {
    const { table, records } = await readAll([referenceBytes('phenotype/fieldbook_phenotype_file_no_fieldbook_image.csv')]);
    expect(table.header?.trailingDelimiter).toBe(true);
    expect(records[0]).toEqual({
      kind: 'row',
      line: 2,
      fields: ['test_trial21', '1', '2', '1', 'test_accession1', '', 'dry matter content|CO_334:0000092', '42', '2016-01-07 12:08:24-0500', 'johndoe', '42.4472 ; -76.4676', '1'],
    });
  });

  it('Field Book 2017: photo paths stay whole, lines are physical', async () => {
    const { records } = await readAll([referenceBytes('phenotype/fieldbook_phenotype_file_rev04bfbeb.csv')]);
    const last = records.at(-1);
    expect(last?.kind === 'row' && last.line).toBe(33);
    expect(last?.kind === 'row' && last.fields[7]).toBe('/storage/emulated/0/fieldBook/plot_data/test_trial/photos/test_trial22_2016-09-12-11-15-26.jpg');
  });

  it('NASA POWER: the data row follows the found header', async () => {
    const { table, records } = await readAll([referenceBytes('climate/nasapower_daily_ag_point.csv')]);
    expect(table.dialect.preambleLines).toBe(14);
    expect(records).toEqual([{ kind: 'row', line: 16, fields: ['1983', '1', '-24.36', '-25.37', '-22.7', '92.61', '1.93', '69.23'] }]);
  });

  it('NASA POWER climatology: CRLF block then LF rows is reported as mixed', async () => {
    const { table } = await readAll([referenceBytes('climate/nasapower_climatology_ag_point.csv')]);
    expect(table.dialect.mixedLineEndings).toBe(true);
  });

  it('pyet: units are extracted from Tmean[°C] and friends', async () => {
    const { table } = await readAll([referenceBytes('climate/pyet_10_example_meteo.csv')]);
    const mapping = mapHeader(table.header!, [
      { name: 'date', synonyms: ['YYYYMMDD'], required: true },
      { name: 'tmean', unit: 'K' },
      { name: 'rh', unit: '%' },
      { name: 'rs', unit: 'MJ/m2/d' },
      { name: 'u2', unit: 'km/h' },
      { name: 'pet_knmi', unit: 'mm/d' },
    ]);
    expect(mapping.errors).toEqual([]);
    expect(mapping.unmapped.map((u) => u.header)).toEqual(['Tmax[°C]', 'Tmin[°C]']);
    const by = Object.fromEntries(mapping.columns.map((c) => [c.field, c]));
    expect(by.date).toMatchObject({ index: 0, header: 'YYYYMMDD' });
    expect(by.tmean).toMatchObject({ unit: 'Cel', conversion: { from: 'Cel', to: 'K', factor: 1, offset: 273.15 } });
    expect(by.rh).toMatchObject({ unit: '%' });
    expect(by.rh?.conversion).toBeUndefined();
    expect(by.u2).toMatchObject({ unit: 'm/s', conversion: { from: 'm/s', to: 'km/h', factor: 3.6 } });
  });

  it('trait ontology: two headers for one field is a located duplicate-header error', async () => {
    const { table } = await readAll([referenceBytes('trait-ontology/data_duplicate_headers.csv')]);
    const mapping = mapHeader(table.header!, [
      { name: 'Name', synonyms: ['Ontology Term Name'] },
      { name: 'Synonyms', synonyms: ['Trait Synonyms', 'Trait Abbreviations'] },
      { name: 'Scale upper limit' },
    ]);
    expect(mapping.errors.map((e) => [e.line, e.column, e.rule, e.raw])).toEqual([
      [1, 2, 'duplicate-header', 'ONTOLOgY TErM NaME'],
      [1, 4, 'duplicate-header', 'trAit synoNyms'],
    ]);
    expect(mapping.errors[0]?.message).toBe(
      'header "ONTOLOgY TErM NaME" in column 2 maps to field Name, already mapped from "Name" in column 1',
    );
    expect(mapping.columns.find((c) => c.field === 'Scale upper limit')?.index).toBe(17);
  });

  it('DArTseq: *-padded rows above the header are skipped (derived fixture)', async () => {
    const { table, rows } = await readAll([fixtureBytes('dartseq_padded_head.csv')]);
    expect(table.dialect).toMatchObject({ headerLine: 6, preambleKind: 'padded-rows', preambleLines: 5 });
    expect(table.header?.cells.slice(0, 3)).toEqual(['AlleleID', 'CloneID', 'ClusterTempIndex']);
    expect(rows).toBe(3);
  });
});
