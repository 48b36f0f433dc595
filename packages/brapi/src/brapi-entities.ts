/**
 * The entity catalog: the BrAPI entities the lake ingests, and where the OpenAPI document
 * defines each one. Everything else in the package is keyed by these names.
 */

/** One ingested entity. */
export interface BrapiEntityDefinition {
  /** The BrAPI module that owns it. */
  module: 'BrAPI-Core' | 'BrAPI-Phenotyping' | 'BrAPI-Germplasm' | 'BrAPI-Genotyping';
  /**
   * The write endpoint whose request body is an array of this entity (`POST /observations`).
   * Variants and call sets have none (servers create them from files); calls are written
   * with `PUT /calls`.
   */
  write: { method: 'post' | 'put'; path: string } | null;
  /** The `components/schemas` name of the entity as servers return it. */
  responseSchema: string;
  /**
   * The entity's identifier field; a bulk-PUT map key fills it when the body lacks it. Calls
   * have none: a call is identified by its call set and variant.
   */
  idField: string | null;
}

/** The entities the lake ingests, by their BrAPI path name. */
export const BRAPI_ENTITIES = {
  observations: { module: 'BrAPI-Phenotyping', write: { method: 'post', path: '/observations' }, responseSchema: 'Observation', idField: 'observationDbId' },
  observationunits: { module: 'BrAPI-Phenotyping', write: { method: 'post', path: '/observationunits' }, responseSchema: 'ObservationUnit', idField: 'observationUnitDbId' },
  variables: { module: 'BrAPI-Phenotyping', write: { method: 'post', path: '/variables' }, responseSchema: 'ObservationVariable', idField: 'observationVariableDbId' },
  images: { module: 'BrAPI-Phenotyping', write: { method: 'post', path: '/images' }, responseSchema: 'Image', idField: 'imageDbId' },
  germplasm: { module: 'BrAPI-Germplasm', write: { method: 'post', path: '/germplasm' }, responseSchema: 'Germplasm', idField: 'germplasmDbId' },
  studies: { module: 'BrAPI-Core', write: { method: 'post', path: '/studies' }, responseSchema: 'Study', idField: 'studyDbId' },
  trials: { module: 'BrAPI-Core', write: { method: 'post', path: '/trials' }, responseSchema: 'Trial', idField: 'trialDbId' },
  programs: { module: 'BrAPI-Core', write: { method: 'post', path: '/programs' }, responseSchema: 'Program', idField: 'programDbId' },
  locations: { module: 'BrAPI-Core', write: { method: 'post', path: '/locations' }, responseSchema: 'Location', idField: 'locationDbId' },
  seasons: { module: 'BrAPI-Core', write: { method: 'post', path: '/seasons' }, responseSchema: 'Season', idField: 'seasonDbId' },
  samples: { module: 'BrAPI-Genotyping', write: { method: 'post', path: '/samples' }, responseSchema: 'Sample', idField: 'sampleDbId' },
  variants: { module: 'BrAPI-Genotyping', write: null, responseSchema: 'Variant', idField: 'variantDbId' },
  callsets: { module: 'BrAPI-Genotyping', write: null, responseSchema: 'CallSet', idField: 'callSetDbId' },
  calls: { module: 'BrAPI-Genotyping', write: { method: 'put', path: '/calls' }, responseSchema: 'Call', idField: null },
} as const satisfies Record<string, BrapiEntityDefinition>;

/** The name of an ingested entity (`observations`, `germplasm`, …). */
export type BrapiEntityName = keyof typeof BRAPI_ENTITIES;

/** Every ingested entity name, in catalog order. */
export const BRAPI_ENTITY_NAMES = Object.keys(BRAPI_ENTITIES) as BrapiEntityName[];

/** Narrows a string to an entity name. */
export function isBrapiEntityName(name: string): name is BrapiEntityName {
  return Object.hasOwn(BRAPI_ENTITIES, name);
}
