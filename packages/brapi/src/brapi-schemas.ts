import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BRAPI_ENTITIES, type BrapiEntityName } from './brapi-entities.js';
import { applySchemaQuirks } from './brapi-quirks.js';
import { parseBrapiDate, parseBrapiTimestamp } from './brapi-timestamp.js';
import { escapePointerToken } from './json-pointer-locator.js';
import { BRAPI_SCHEMA_ID, type JsonSchema, type OpenApiDocument, readBrapiOpenApi, requestItemSchema, toJsonSchema } from './openapi-document.js';

/**
 * Validation of single entities against the BrAPI 2.1 OpenAPI schemas (with the quirks of
 * `brapi-quirks.ts` absorbed). Two schemas per entity:
 * - `request`: the item schema of its write endpoint's body (`ObservationNewRequest`), which
 *   has no server-assigned `…DbId`; entities without a write endpoint use their response schema;
 * - `response`: the `components/schemas` entity (`Observation`), as servers return it.
 */

/** Which of an entity's schemas to validate against. */
export type BrapiSchemaKind = 'request' | 'response';

/** One schema violation inside an entity. */
export interface SchemaViolation {
  /** JSON pointer into the entity; for a missing member, the pointer the member would have. */
  path: string;
  /** The JSON Schema keyword that failed (`type`, `required`, `format`, `enum`, …). */
  rule: string;
  message: string;
}

/** OpenAPI formats whose values are not checked (the `type` is): see the README. */
const UNCHECKED_FORMATS = ['uri', 'double', 'float', 'int32', 'int64', 'boolean', 'byte', 'binary', 'password', 'email'];

/** The compiled schemas; build with {@link loadBrapiSchemas} or {@link BrapiSchemas.fromDocument}. */
export class BrapiSchemas {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly names = new Map<string, string>();
  private readonly requestItems = new Map<string, JsonSchema>();

  private constructor(doc: OpenApiDocument) {
    const schemas = toJsonSchema(doc.components.schemas) as Record<string, JsonSchema>;
    applySchemaQuirks(schemas);
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, verbose: true });
    this.ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseBrapiTimestamp(s) !== null });
    this.ajv.addFormat('date', { type: 'string', validate: (s: string) => parseBrapiDate(s) !== null });
    for (const name of UNCHECKED_FORMATS) this.ajv.addFormat(name, true);
    this.ajv.addSchema({ $id: BRAPI_SCHEMA_ID, components: { schemas } });
    for (const [entity, def] of Object.entries(BRAPI_ENTITIES)) {
      const item = def.write ? requestItemSchema(doc, def.write.method, def.write.path) : null;
      if (def.write && !item) throw new Error(`the OpenAPI document has no array body for ${def.write.method.toUpperCase()} ${def.write.path}`);
      if (!schemas[def.responseSchema]) throw new Error(`the OpenAPI document has no components.schemas.${def.responseSchema}`);
      const request = item ? (toJsonSchema(item) as JsonSchema) : { $ref: `${BRAPI_SCHEMA_ID}#/components/schemas/${def.responseSchema}` };
      applySchemaQuirks(request);
      this.requestItems.set(entity, request);
      this.names.set(`${entity}:request`, typeof item?.$ref === 'string' ? item.$ref.split('/').pop() as string : def.responseSchema);
      this.names.set(`${entity}:response`, def.responseSchema);
    }
  }

  /** Compiles from an already parsed OpenAPI document. */
  static fromDocument(doc: OpenApiDocument): BrapiSchemas {
    return new BrapiSchemas(doc);
  }

  /** The `components/schemas` name used for an entity (`ObservationNewRequest`, `Observation`). */
  schemaName(entity: BrapiEntityName, kind: BrapiSchemaKind): string {
    return this.names.get(`${entity}:${kind}`) as string;
  }

  /** The JSON Schema an entity is validated against (after conversion and quirks). */
  jsonSchema(entity: BrapiEntityName, kind: BrapiSchemaKind): JsonSchema {
    if (kind === 'request') return this.requestItems.get(entity) as JsonSchema;
    return { $ref: `${BRAPI_SCHEMA_ID}#/components/schemas/${BRAPI_ENTITIES[entity].responseSchema}` };
  }

  /** Validates one parsed entity; an empty array means valid. Never throws on the value. */
  validate(entity: BrapiEntityName, kind: BrapiSchemaKind, value: unknown): SchemaViolation[] {
    const validate = this.validator(entity, kind);
    if (validate(value)) return [];
    return simplify(validate.errors ?? []).map(toViolation);
  }

  private validator(entity: BrapiEntityName, kind: BrapiSchemaKind): ValidateFunction {
    const key = `${entity}:${kind}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(this.jsonSchema(entity, kind));
      this.compiled.set(key, fn);
    }
    return fn;
  }
}

/** Reads the OpenAPI document at `openapiPath` and compiles the ingested entities' schemas. */
export async function loadBrapiSchemas(openapiPath: string): Promise<BrapiSchemas> {
  return BrapiSchemas.fromDocument(await readBrapiOpenApi(openapiPath));
}

/**
 * Drops the per-branch errors under a failed `oneOf`/`anyOf` when the composite error itself is
 * reported: "coordinates must be array" from each GeoJSON branch says less than "geometry must
 * match exactly one schema in oneOf" at the right pointer.
 */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const composites = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  if (composites.length === 0) return errors;
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return true;
    return !composites.some(
      (c) => e.schemaPath.startsWith(`${c.schemaPath}/`) && (e.instancePath === c.instancePath || e.instancePath.startsWith(`${c.instancePath}/`)),
    );
  });
}

function toViolation(e: ErrorObject): SchemaViolation {
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : null;
  const path = missing === null ? e.instancePath : `${e.instancePath}/${escapePointerToken(missing)}`;
  let message = `${path || '(entity)'} ${e.message ?? 'is invalid'}`;
  if (missing !== null) message = `${path} is required but missing`;
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'date-time') {
    message = `${path} is not a date-time with a UTC offset (like 2018-01-01T14:47:23-0600 or ...Z)`;
  }
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'date') message = `${path} is not a date (YYYY-MM-DD or YYYYMMDD)`;
  if (e.keyword === 'enum') message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'format' || e.keyword === 'type') message += `, got ${preview(e.data)}`;
  return { path, rule: e.keyword, message };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
