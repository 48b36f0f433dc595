/**
 * Acceptance: the BrAPI 2.1 example request bodies of every ingested entity stage through the
 * extract's BrAPI reader under a file contract of that entity, none rejected and none with a read
 * error; their `-0600`-style timestamps arrive as UTC instants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRAPI_ENTITY_COLUMNS, type BrapiEntityName } from '@lake/brapi';
import { type FileSourceContract, type DatasetContract, type LakeValue, parseContract } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { openFile } from '../src/file-source/open-file.js';
import { brapiSchemas, chunks, REFERENCE_DIR } from './file-helpers.js';

const EXAMPLES = join(REFERENCE_DIR, 'brapi', 'brapi-spec-examples');

/** Example request bodies of ingested entities → entity and entity count (as the BrAPI package's own acceptance test counts them). */
const REQUESTS: Array<[string, BrapiEntityName, number]> = [
  ['BrAPI-Core__POST_locations__Request.json', 'locations', 1],
  ['BrAPI-Core__POST_programs__Request.json', 'programs', 1],
  ['BrAPI-Core__POST_seasons__Request.json', 'seasons', 1],
  ['BrAPI-Core__POST_studies__Request.json', 'studies', 1],
  ['BrAPI-Core__POST_trials__Request.json', 'trials', 1],
  ['BrAPI-Core__PUT_locations_locationDbId__Request.json', 'locations', 1],
  ['BrAPI-Core__PUT_programs_programDbId__Request.json', 'programs', 1],
  ['BrAPI-Core__PUT_seasons_seasonDbId__Request.json', 'seasons', 1],
  ['BrAPI-Core__PUT_studies_studyDbId__Request.json', 'studies', 1],
  ['BrAPI-Core__PUT_trials_trialDbId__Request.json', 'trials', 1],
  ['BrAPI-Genotyping__GET_samples_sampleDbId__Request.json', 'samples', 1],
  ['BrAPI-Genotyping__POST_samples__Request.json', 'samples', 1],
  ['BrAPI-Genotyping__PUT_calls__Request.json', 'calls', 1],
  ['BrAPI-Genotyping__PUT_samples__Request.json', 'samples', 2],
  ['BrAPI-Germplasm__POST_germplasm__Request.json', 'germplasm', 1],
  ['BrAPI-Germplasm__PUT_germplasm_germplasmDbId__Request.json', 'germplasm', 1],
  ['BrAPI-Phenotyping__POST_images__Request.json', 'images', 1],
  ['BrAPI-Phenotyping__POST_observations__Request.json', 'observations', 1],
  ['BrAPI-Phenotyping__POST_observationunits__Request.json', 'observationunits', 1],
  ['BrAPI-Phenotyping__POST_variables__Request.json', 'variables', 1],
  ['BrAPI-Phenotyping__PUT_images_imageDbId__Request.json', 'images', 1],
  ['BrAPI-Phenotyping__PUT_observations__Request.json', 'observations', 2],
  ['BrAPI-Phenotyping__PUT_observations_observationDbId__Request.json', 'observations', 1],
  ['BrAPI-Phenotyping__PUT_observationunits__Request.json', 'observationunits', 2],
  ['BrAPI-Phenotyping__PUT_observationunits_observationUnitDbId__Request.json', 'observationunits', 1],
  ['BrAPI-Phenotyping__PUT_variables_observationVariableDbId__Request.json', 'variables', 1],
];

/** A file contract taking every column of an entity, as a BrAPI upload dataset would. */
function entityContract(entity: BrapiEntityName): DatasetContract & { source: FileSourceContract } {
  const columns = BRAPI_ENTITY_COLUMNS[entity];
  const doc = {
    dataset: { name: `brapi_${entity}_files`, domain: 'phenotype', schema_version: '1.0.0' },
    source: { kind: 'file', format: 'brapi', brapi_entity: entity, key: [columns[0]?.name] },
    fields: columns.map((c) => ({ name: c.name, type: c.type })),
  };
  // JSON is YAML: the contract goes through the same parser and checks as a schemas/ file.
  return parseContract(JSON.stringify(doc), `${entity}.yaml`) as DatasetContract & { source: FileSourceContract };
}

const TIMESTAMP_OFFSET = /"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{4}"/g;

describe('BrAPI 2.1 example request bodies through the extract', () => {
  it.each(REQUESTS)('%s stages %s (%i)', async (file, entity, count) => {
    const bytes = new Uint8Array(readFileSync(join(EXAMPLES, file)));
    const opened = await openFile(entityContract(entity), chunks(bytes), `bijmantra-raw/phenotype/x/${file.toLowerCase()}`, brapiSchemas);
    const rows: Array<Record<string, LakeValue>> = [];
    for await (const r of opened.records) {
      expect(r.errors, `line ${r.line}`).toEqual([]);
      rows.push(r.values);
    }
    expect(rows).toHaveLength(count);
    // Every `±hhmm` timestamp of the payload is some row's UTC instant.
    const text = Buffer.from(bytes).toString('utf8');
    const instants = new Set(rows.flatMap((r) => Object.values(r)).filter((v): v is bigint => typeof v === 'bigint'));
    for (const m of text.matchAll(TIMESTAMP_OFFSET)) {
      const micros = BigInt(Date.parse(m[0].slice(1, -1).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))) * 1000n;
      expect(instants.has(micros), m[0]).toBe(true);
    }
  });

  it('normalizes 2018-01-01T14:47:23-0600 to 20:47:23 UTC', async () => {
    const bytes = new Uint8Array(readFileSync(join(EXAMPLES, 'BrAPI-Phenotyping__POST_observations__Request.json')));
    const opened = await openFile(entityContract('observations'), chunks(bytes), 'bijmantra-raw/phenotype/x/obs.json', brapiSchemas);
    for await (const r of opened.records) {
      expect(new Date(Number((r.values.observation_time_stamp as bigint) / 1000n)).toISOString()).toBe('2018-01-01T20:47:23.000Z');
    }
  });
});
