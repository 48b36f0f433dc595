import { describe, expect, it } from 'vitest';
import { BRAPI_SCHEMA_ID, BrapiSchemas, readBrapiOpenApi, resolveBrapiOpenApiPath, toJsonSchema } from '../src/index.js';
import { REFERENCE_ROOT } from './helpers.js';

describe('OpenAPI 3.0 → JSON Schema', () => {
  it('turns nullable into type arrays, enums with null, or anyOf', () => {
    expect(toJsonSchema({ type: 'string', nullable: true, example: 'x', deprecated: true, 'x-brapi-metadata': {} })).toEqual({ type: ['string', 'null'] });
    expect(toJsonSchema({ type: 'string', nullable: true, enum: ['A', 'B'] })).toEqual({ type: ['string', 'null'], enum: ['A', 'B', null] });
    expect(toJsonSchema({ $ref: '#/components/schemas/Season', nullable: true })).toEqual({
      anyOf: [{ $ref: `${BRAPI_SCHEMA_ID}#/components/schemas/Season` }, { type: 'null' }],
    });
    // Property names are data, not keywords.
    expect(toJsonSchema({ type: 'object', properties: { example: { type: 'string' }, nullable: { type: 'boolean' } } })).toEqual({
      type: 'object',
      properties: { example: { type: 'string' }, nullable: { type: 'boolean' } },
    });
  });

  it('accepts null where the document says nullable, and rejects it elsewhere', async () => {
    const schemas = BrapiSchemas.fromDocument(await readBrapiOpenApi(resolveBrapiOpenApiPath(REFERENCE_ROOT)));
    expect(schemas.schemaName('observations', 'request')).toBe('ObservationNewRequest');
    expect(schemas.schemaName('calls', 'request')).toBe('Call');
    expect(schemas.schemaName('variants', 'request')).toBe('Variant');
    expect(schemas.validate('observations', 'request', { value: null, collector: null, season: null })).toEqual([]);
    // Germplasm.germplasmName is required and not nullable.
    const germplasm = { commonCropName: 'Maize', germplasmName: null, germplasmPUI: 'doi:x' };
    expect(schemas.validate('germplasm', 'request', germplasm)).toEqual([expect.objectContaining({ path: '/germplasmName', rule: 'type' })]);
  });

  it('throws naming the path when the file is not an OpenAPI document', async () => {
    await expect(readBrapiOpenApi(resolveBrapiOpenApiPath(REFERENCE_ROOT, 'brapi/FIELDS.md'))).rejects.toThrow(/FIELDS\.md/);
  });
});
