/**
 * Acceptance: every researcher file of the shared reference datasets, read by the extract's file
 * readers under the contract it belongs to, either stages with the asserted counts (rows, and
 * rows carrying read errors — the transform quarantines those with their line and column), or is
 * rejected with the asserted located error.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contract, DATASETS, readSummary, referenceBytes } from './file-helpers.js';

interface Expected {
  dataset: string;
  rows?: number;
  withErrors?: number;
  rules?: Record<string, number>;
  /** The located rejection, after the file name. */
  rejected?: string;
}

const FB = 'phenotype.fieldbook_observations';
const LAYOUT = 'phenotype.plot_layout_files';
const TRAITS = 'phenotype.trait_ontology_files';
const GERMPLASM = 'phenotype.germplasm_import_files';
const CALLS = 'genotype.calls_files';
const NASA = 'climate.nasa_power_daily_files';

const EXPECTED: Record<string, Expected> = {
  'phenotype/field_coord_upload.tsv': { dataset: LAYOUT, rows: 15 },
  'phenotype/fieldbook_phenotype_file.csv': { dataset: FB, rows: 30 },
  'phenotype/fieldbook_phenotype_file_no_fieldbook_image.csv': { dataset: FB, rows: 30 },
  'phenotype/fieldbook_phenotype_file_rev04bfbeb.csv': { dataset: FB, rows: 32 },
  // A spectral matrix, not a plot layout: it has no plot column.
  'phenotype/nirs_data_matrix.csv': { dataset: LAYOUT, rejected: 'line 1: missing-field: no header cell for required field plot_name' },
  'phenotype/trial_layout_example.csv': { dataset: LAYOUT, rows: 8 },
  // Monthly climatology (PARAMETER, JAN, ...) is not a daily series.
  'climate/nasapower_climatology_ag_point.csv': { dataset: NASA, rejected: 'line 12: missing-field: no header cell for required field year' },
  'climate/nasapower_daily_ag_point.csv': { dataset: NASA, rows: 1 },
  'climate/nasapower_daily_sb_point_LST.csv': { dataset: NASA, rows: 1 },
  'climate/pyet_10_example_meteo.csv': { dataset: 'climate.daily_weather_files', rows: 365 },
  'genotype/Intertek_SNP_grid.csv': { dataset: CALLS, rows: 85 },
  'genotype/VariantSet_4_DartSeq.csv': { dataset: CALLS, rows: 1_108_728 },
  // A plate sheet: no genotype format.
  'genotype/VariantSet_4_samples.csv': { dataset: CALLS, rejected: 'line 1: format-unknown: first line matches no genotype format' },
  'genotype/Variant_4_Hapmap.tsv': { dataset: CALLS, rows: 1_108_728 },
  'genotype/cassava_test.vcf': { dataset: CALLS, rows: 139_860 },
  'genotype/dosage_transposed.csv': { dataset: CALLS, rows: 34_551 },
  'genotype/kasp_results.csv': { dataset: CALLS, rows: 25 },
  // Its marker line lacks the eleven HapMap columns: every cell is quarantined with the line's reason.
  'genotype/sample_variantset_tsv.txt': { dataset: CALLS, rows: 260, withErrors: 260, rules: { 'variant-rejected': 260 } },
  'genotype/sample_variantset_vcf.vcf': { dataset: CALLS, rows: 9600, withErrors: 469, rules: { 'sample-missing': 60, 'allele-undefined': 409 } },
  'genotype/testset_GT-AD-DP-GQ-DS-PL.vcf': { dataset: CALLS, rows: 378 },
  'genotype/variantset_1_Hapmap.tsv': { dataset: CALLS, rows: 260 },
  'genotype/variantset_1_VCF.vcf': { dataset: CALLS, rows: 260, withErrors: 58, rules: { 'allele-undefined': 58 } },
  'trait-ontology/data_duplicate_headers.csv': { dataset: TRAITS, rejected: 'line 1, column 2 (name): duplicate-header: header "ONTOLOgY TErM NaME" in column 2 maps to field name' },
  'trait-ontology/data_min_max_swap.csv': { dataset: TRAITS, rows: 1 },
  'trait-ontology/data_multiple_rows.csv': { dataset: TRAITS, rows: 3 },
  // `blah` is a scale class the contract's categories reject in the transform.
  'trait-ontology/data_one_row_invalid_scale_class.csv': { dataset: TRAITS, rows: 1 },
  'trait-ontology/data_one_row_scale_decimal_invalid.csv': { dataset: TRAITS, rows: 1, withErrors: 1, rules: { 'invalid-integer': 1 } },
  'trait-ontology/file_some_null_rows.csv': { dataset: GERMPLASM, rows: 11, withErrors: 5, rules: { 'invalid-integer': 5 } },
  'trait-ontology/full_import.csv': { dataset: GERMPLASM, rows: 3 },
  'trait-ontology/multiple_rows_parsing_errors.csv': { dataset: TRAITS, rows: 3, withErrors: 1, rules: { 'invalid-integer': 1, 'invalid-number': 2 } },
  'trait-ontology/nonnumerical_entry_numbers.csv': { dataset: GERMPLASM, rows: 4, withErrors: 2, rules: { 'invalid-integer': 2 } },
};

describe('reference datasets through the file readers', () => {
  it('covers every file of the reference datasets', () => {
    const found = readdirSync(DATASETS).flatMap((dir) => readdirSync(join(DATASETS, dir)).map((f) => `${dir}/${f}`));
    expect(found.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file} → ${want.dataset}: ${want.rejected ? 'rejected' : `${want.rows} rows`}`, async () => {
      const raw = `bijmantra-raw/test/${file.toLowerCase()}`;
      const got = await readSummary(await contract(want.dataset), referenceBytes(file), raw);
      if (want.rejected) {
        expect(got.rejected).toContain(`${raw}: ${want.rejected}`);
        return;
      }
      expect(got.rejected).toBeUndefined();
      expect({ rows: got.rows, withErrors: got.withErrors, rules: got.rules }).toEqual({ rows: want.rows, withErrors: want.withErrors ?? 0, rules: want.rules ?? {} });
    }, 300_000);
  }
});
