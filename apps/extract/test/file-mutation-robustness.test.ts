/**
 * 1,000 mutated inputs (bytes flipped, truncation, delimiter and encoding changes, binary junk,
 * doubled quotes, CRLF) through the file readers the extract stage runs: none throws anything
 * but a located `FileRejectedError`, and each ends with every record staged — clean, or carrying
 * its located errors for the quarantine.
 */
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@lake/fixture';
import { contract, DATASETS, type FileContract, readSummary, REFERENCE_DIR } from './file-helpers.js';


const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

const latin1 = (bytes: Uint8Array) => new Uint8Array(Buffer.from(Buffer.from(bytes).toString('utf8'), 'latin1'));
const utf16 = (bytes: Uint8Array) => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf16le')]));

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const MUTATIONS: Record<string, Mutation> = {
  flip: (b, r) => {
    const out = b.slice();
    for (let i = 0, n = 1 + Math.floor(r() * 8); i < n && out.length > 0; i++) {
      const at = Math.floor(r() * out.length);
      out[at] = (out[at] as number) ^ (1 << Math.floor(r() * 8));
    }
    return out;
  },
  truncate: (b, r) => b.slice(0, Math.floor(r() * b.length)),
  delimiter: (b, r) => {
    const to = [';', '\t', '|', ' '][Math.floor(r() * 4)] as string;
    return new Uint8Array(Buffer.from(Buffer.from(b).toString('utf8').replaceAll(',', to)));
  },
  encoding: (b, r) => (r() < 0.5 ? latin1(b) : utf16(b)),
  crlf: (b) => new Uint8Array(Buffer.from(Buffer.from(b).toString('utf8').replace(/\r?\n/g, '\r\n'))),
  junk: (b, r) => {
    const at = Math.floor(r() * b.length);
    const junk = new Uint8Array(1 + Math.floor(r() * 64)).map(() => Math.floor(r() * 256));
    return new Uint8Array([...b.slice(0, at), ...junk, ...b.slice(at)]);
  },
  quotes: (b, r) => {
    const text = Buffer.from(b).toString('utf8');
    const at = Math.floor(r() * text.length);
    return new Uint8Array(Buffer.from(`${text.slice(0, at)}"${text.slice(at)}`));
  },
  zero: () => new Uint8Array(0),
};

const SEEDS: Array<{ file: string; dataset: string }> = [
  { file: join(DATASETS, 'phenotype/fieldbook_phenotype_file.csv'), dataset: 'phenotype.fieldbook_observations' },
  { file: join(DATASETS, 'phenotype/trial_layout_example.csv'), dataset: 'phenotype.plot_layout_files' },
  { file: join(DATASETS, 'climate/nasapower_daily_ag_point.csv'), dataset: 'climate.nasa_power_daily_files' },
  { file: join(DATASETS, 'trait-ontology/multiple_rows_parsing_errors.csv'), dataset: 'phenotype.trait_ontology_files' },
  { file: join(DATASETS, 'genotype/variantset_1_VCF.vcf'), dataset: 'genotype.calls_files' },
  { file: join(DATASETS, 'genotype/variantset_1_Hapmap.tsv'), dataset: 'genotype.calls_files' },
  { file: join(REFERENCE_DIR, 'brapi/brapi-spec-examples/BrAPI-Phenotyping__POST_observations__Request.json'), dataset: 'phenotype.brapi_observations_files' },
  { file: join(FIXTURES, 'sensor-logs.json'), dataset: 'sensor.sensor_log_files' },
  { file: join(FIXTURES, 'sensor-logs.ndjson'), dataset: 'sensor.sensor_log_files' },
];

describe('file readers under 1,000 mutated inputs', () => {
  it('never crash: each input is staged whole or rejected with a located reason', async () => {
    const contracts = new Map<string, FileContract>();
    for (const s of SEEDS) if (!contracts.has(s.dataset)) contracts.set(s.dataset, await contract(s.dataset));
    const seeds = SEEDS.map((s) => ({ ...s, bytes: new Uint8Array(readFileSync(s.file)) }));
    const r = mulberry32(20_261_127);
    const names = Object.keys(MUTATIONS);
    const outcome = { staged: 0, rejected: 0, rowsWithErrors: 0 };
    const byMutation: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const seed = seeds[i % seeds.length] as (typeof seeds)[number];
      const name = names[Math.floor(r() * names.length)] as string;
      byMutation[name] = (byMutation[name] ?? 0) + 1;
      const bytes = (MUTATIONS[name] as Mutation)(seed.bytes, r);
      // The seed's extension stays: it says how a JSON file is laid out (.ndjson: one object per line).
      const file = `bijmantra-raw/test/mutants/${i}-${name}${extname(seed.file).toLowerCase()}`;
      // Each record also goes through the staging writer, as in the extract stage.
      const s = await readSummary(contracts.get(seed.dataset) as FileContract, bytes, file, { stage: true });
      if (s.rejected !== undefined) {
        outcome.rejected++;
        // `<file>: [line L[, column C (...)]: ]<rule>: <reason>`
        expect(s.rejected, `${i} ${name}`).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}(: line \\d+(, column \\d+( \\([^)]*\\))?)?)?: [a-z-]+: .+`));
      } else {
        outcome.staged++;
        outcome.rowsWithErrors += s.withErrors;
        expect(s.rows, `${i} ${name}`).toBeGreaterThanOrEqual(s.withErrors);
      }
    }
    console.log(`1000 mutants: ${outcome.staged} staged (${outcome.rowsWithErrors} rows with located read errors), ${outcome.rejected} rejected; by mutation ${JSON.stringify(byMutation)}`);
    expect(outcome.staged + outcome.rejected).toBe(1000);
    expect(outcome.staged).toBeGreaterThan(100);
    expect(outcome.rejected).toBeGreaterThan(50);
    expect(Object.keys(byMutation).sort()).toEqual(names.sort());
  }, 600_000);
});
