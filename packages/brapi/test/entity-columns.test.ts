/**
 * The column specs against the OpenAPI document: every property of an entity's request and
 * response schema is read by some column (nothing the standard defines is dropped silently),
 * names are unique snake_case lake columns, and a column is non-nullable only where both
 * schemas require its field.
 */
import { describe, expect, it } from 'vitest';
import { isLakeType } from '@lake/contracts';
import { BRAPI_ENTITIES, BRAPI_ENTITY_COLUMNS, BRAPI_ENTITY_NAMES, readBrapiOpenApi, resolveBrapiOpenApiPath, snakeCase } from '../src/index.js';
import { REFERENCE_ROOT, testSchemas } from './helpers.js';

const doc = await readBrapiOpenApi(resolveBrapiOpenApiPath(REFERENCE_ROOT));
const schemas = await testSchemas();

function topLevel(schemaName: string): { properties: string[]; required: string[] } {
  const schema = doc.components.schemas[schemaName] as { properties?: Record<string, unknown>; required?: string[] };
  return { properties: Object.keys(schema.properties ?? {}), required: schema.required ?? [] };
}

describe('BRAPI_ENTITY_COLUMNS', () => {
  it('has columns for every ingested entity', () => {
    expect(Object.keys(BRAPI_ENTITY_COLUMNS).sort()).toEqual([...BRAPI_ENTITY_NAMES].sort());
  });

  it.each(BRAPI_ENTITY_NAMES)('%s reads every schema property', (entity) => {
    const request = topLevel(schemas.schemaName(entity, 'request'));
    const response = topLevel(BRAPI_ENTITIES[entity].responseSchema);
    const read = new Set(BRAPI_ENTITY_COLUMNS[entity].flatMap((c) => [c.source, c.fallback ?? '']).map((p) => p.split('/')[1]));
    const unread = [...new Set([...request.properties, ...response.properties])].filter((p) => !read.has(p));
    expect(unread).toEqual([]);
  });

  it.each(BRAPI_ENTITY_NAMES)('%s has unique snake_case names, lake types, and honest nullability', (entity) => {
    const columns = BRAPI_ENTITY_COLUMNS[entity];
    expect(new Set(columns.map((c) => c.name)).size).toBe(columns.length);
    const request = topLevel(schemas.schemaName(entity, 'request'));
    const response = topLevel(BRAPI_ENTITIES[entity].responseSchema);
    for (const c of columns) {
      expect(c.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(isLakeType(c.type), c.type).toBe(true);
      const field = c.source.split('/')[1] as string;
      const topLevelSource = c.source.split('/').length === 2;
      if (!c.nullable) expect(topLevelSource && request.required.includes(field) && response.required.includes(field), c.name).toBe(true);
    }
  });

  it('names follow BrAPI fields in snake_case', () => {
    expect(snakeCase('observationDbId')).toBe('observation_db_id');
    expect(snakeCase('observationTimeStamp')).toBe('observation_time_stamp');
    expect(snakeCase('observationUnitPUI')).toBe('observation_unit_pui');
    expect(snakeCase('documentationURL')).toBe('documentation_url');
    expect(snakeCase('genotype_likelihood')).toBe('genotype_likelihood');
    const observation = Object.fromEntries(BRAPI_ENTITY_COLUMNS.observations.map((c) => [c.name, c.type]));
    expect(observation).toMatchObject({
      observation_db_id: 'string',
      observation_time_stamp: 'timestamp',
      value: 'string',
      observation_variable_db_id: 'string',
      observation_unit_db_id: 'string',
      germplasm_db_id: 'string',
      study_db_id: 'string',
      collector: 'string',
      season_db_id: 'string',
      additional_info: 'json',
      external_references: 'json',
      geo_coordinates: 'json',
    });
  });
});
