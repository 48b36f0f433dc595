/**
 * Acceptance: every BrAPI 2.1 example request body (POST/PUT) of an ingested entity validates
 * against the OpenAPI request schema and flattens to a row of its entity's columns.
 */
import { describe, expect, it } from 'vitest';
import { BRAPI_ENTITY_COLUMNS, type BrapiEntityItem, type BrapiEntityName } from '../src/index.js';
import { entityExamples, exampleBytes, readAll } from './helpers.js';

const requests = entityExamples().filter((e) => e.kind === 'Request');

/** Entities per example request body, counted by hand from the files. */
const EXPECTED: Record<string, number> = {
  'BrAPI-Core__POST_locations__Request.json': 1,
  'BrAPI-Core__POST_programs__Request.json': 1,
  'BrAPI-Core__POST_seasons__Request.json': 1,
  'BrAPI-Core__POST_studies__Request.json': 1,
  'BrAPI-Core__POST_trials__Request.json': 1,
  'BrAPI-Core__PUT_locations_locationDbId__Request.json': 1,
  'BrAPI-Core__PUT_programs_programDbId__Request.json': 1,
  'BrAPI-Core__PUT_seasons_seasonDbId__Request.json': 1,
  'BrAPI-Core__PUT_studies_studyDbId__Request.json': 1,
  'BrAPI-Core__PUT_trials_trialDbId__Request.json': 1,
  // Mislabelled upstream (a GET has no body); it is a Sample, so it is read like one.
  'BrAPI-Genotyping__GET_samples_sampleDbId__Request.json': 1,
  'BrAPI-Genotyping__POST_samples__Request.json': 1,
  'BrAPI-Genotyping__PUT_calls__Request.json': 1,
  'BrAPI-Genotyping__PUT_samples__Request.json': 2,
  'BrAPI-Germplasm__POST_germplasm__Request.json': 1,
  'BrAPI-Germplasm__PUT_germplasm_germplasmDbId__Request.json': 1,
  'BrAPI-Phenotyping__POST_images__Request.json': 1,
  'BrAPI-Phenotyping__POST_observations__Request.json': 1,
  'BrAPI-Phenotyping__POST_observationunits__Request.json': 1,
  'BrAPI-Phenotyping__POST_variables__Request.json': 1,
  'BrAPI-Phenotyping__PUT_images_imageDbId__Request.json': 1,
  'BrAPI-Phenotyping__PUT_observations__Request.json': 2,
  'BrAPI-Phenotyping__PUT_observations_observationDbId__Request.json': 1,
  'BrAPI-Phenotyping__PUT_observationunits__Request.json': 2,
  'BrAPI-Phenotyping__PUT_observationunits_observationUnitDbId__Request.json': 1,
  'BrAPI-Phenotyping__PUT_variables_observationVariableDbId__Request.json': 1,
};

async function entitiesOf(file: string, entity: BrapiEntityName): Promise<BrapiEntityItem[]> {
  const items = await readAll(entity, exampleBytes(file));
  expect(items.filter((i) => i.kind === 'error')).toEqual([]);
  return items.filter((i): i is BrapiEntityItem => i.kind === 'entity');
}

describe('BrAPI 2.1 example request bodies', () => {
  it('covers exactly the expected example files', () => {
    expect(requests.map((r) => r.file).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(requests)('$file validates and flattens ($entity)', async ({ file, entity }) => {
    const items = await entitiesOf(file, entity);
    expect(items).toHaveLength(EXPECTED[file] as number);
    const names = BRAPI_ENTITY_COLUMNS[entity].map((c) => c.name);
    for (const item of items) {
      expect(Object.keys(item.row)).toEqual(names);
      for (const spec of BRAPI_ENTITY_COLUMNS[entity]) if (!spec.nullable) expect(item.row[spec.name], spec.name).not.toBeNull();
    }
  });

  it('counts entities per ingested entity type', async () => {
    const perEntity: Record<string, number> = {};
    for (const { file, entity } of requests) perEntity[entity] = (perEntity[entity] ?? 0) + (await entitiesOf(file, entity)).length;
    expect(perEntity).toEqual({
      calls: 1,
      germplasm: 2,
      images: 2,
      locations: 2,
      observations: 4,
      observationunits: 4,
      programs: 2,
      samples: 4,
      seasons: 2,
      studies: 2,
      trials: 2,
      variables: 2,
    });
  });

  it('normalizes the -0600 observation timestamp to UTC microseconds', async () => {
    const [item] = await entitiesOf('BrAPI-Phenotyping__POST_observations__Request.json', 'observations');
    // "2018-01-01T14:47:23-0600" is 20:47:23 UTC.
    expect(item?.row.observation_time_stamp).toBe(BigInt(Date.UTC(2018, 0, 1, 20, 47, 23)) * 1000n);
    expect(item?.row).toMatchObject({
      observation_db_id: null,
      observation_unit_db_id: '598111d4',
      observation_variable_db_id: 'c403d107',
      germplasm_db_id: '2408ab11',
      study_db_id: 'ef2829db',
      value: '2.3',
      collector: '917d3ae0',
      season_db_id: 'Spring_2018',
      season_name: 'Spring',
      season_year: 2018,
      additional_info: '{}',
    });
    expect(JSON.parse(item?.row.geo_coordinates as string)).toEqual({ geometry: { coordinates: [-76.506042, 42.417373, 123], type: 'Point' }, type: 'Feature' });
    expect(JSON.parse(item?.row.external_references as string)).toHaveLength(2);
  });

  it('fills the id from the bulk-PUT map key', async () => {
    const items = await entitiesOf('BrAPI-Phenotyping__PUT_observations__Request.json', 'observations');
    expect(items.map((i) => [i.key, i.row.observation_db_id, i.line])).toEqual([
      ['<observationDbId_1>', '<observationDbId_1>', 2],
      ['<observationDbId_2>', '<observationDbId_2>', 27],
    ]);
    const samples = await entitiesOf('BrAPI-Genotyping__PUT_samples__Request.json', 'samples');
    expect(samples.map((s) => s.row.sample_db_id)).toEqual(['<sampleDbId_1>', '<sampleDbId_2>']);
  });

  it('flattens an observation variable’s trait, method and scale', async () => {
    const [item] = await entitiesOf('BrAPI-Phenotyping__POST_variables__Request.json', 'variables');
    const value = item?.value as { trait: { traitName: string }; scale: { dataType: string; validValues: { minimumValue: string } } };
    expect(item?.row.trait_name).toBe(value.trait.traitName);
    expect(item?.row.scale_data_type).toBe(value.scale.dataType);
    expect(item?.row.scale_minimum_value).toBe(value.scale.validValues.minimumValue);
    expect(JSON.parse(item?.row.scale as string)).toEqual(value.scale);
  });

  it('keeps a call’s genotype value as text', async () => {
    const [item] = await entitiesOf('BrAPI-Genotyping__PUT_calls__Request.json', 'calls');
    expect(item?.row).toMatchObject({ call_set_db_id: '16466f55', variant_db_id: '538c8ecf', variant_set_db_id: '87a6ac1e', genotype_value: '1/1', genotype_likelihood: [1] });
  });
});
