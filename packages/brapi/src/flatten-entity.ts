import type { LakeValue } from '@lake/contracts';
import { BRAPI_ENTITIES, type BrapiEntityName } from './brapi-entities.js';
import { BRAPI_ENTITY_COLUMNS } from './brapi-entity-columns.js';
import { type ColumnProblem, mapColumns } from './column-mapping.js';

/** A flat lake row: column name → value in the lake's in-memory representation. */
export type BrapiRow = Record<string, LakeValue>;

/** The outcome of flattening one entity. */
export interface FlattenResult {
  row: BrapiRow;
  /** Values that could not take their column's type (empty for entities that passed validation). */
  problems: ColumnProblem[];
}

/**
 * Flattens one parsed entity to a row with the columns of `BRAPI_ENTITY_COLUMNS[entity]`.
 * `key` is the member name of a bulk-PUT map (`{"<observationDbId>": {…}}`): it fills the
 * entity's id field when the body does not carry one. Never throws on the entity.
 */
export function flattenBrapiEntity(entity: BrapiEntityName, value: unknown, key?: string): FlattenResult {
  const idField = BRAPI_ENTITIES[entity].idField;
  let source = value;
  if (key !== undefined && idField !== null && isObject(value) && value[idField] == null) source = { ...value, [idField]: key };
  return mapColumns(source, BRAPI_ENTITY_COLUMNS[entity]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
