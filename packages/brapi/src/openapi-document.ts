import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reading the BrAPI 2.1 OpenAPI 3.0 document and turning its schemas into JSON Schema that
 * ajv (draft-07) understands. The package never hard-codes where the document lives: callers
 * pass a path, or the root of a reference tree and {@link resolveBrapiOpenApiPath} appends
 * {@link DEFAULT_BRAPI_OPENAPI}.
 */

/** Where the document sits inside a reference tree (`<root>/brapi/brapi_openapi_2_1.json`). */
export const DEFAULT_BRAPI_OPENAPI = 'brapi/brapi_openapi_2_1.json';

/** The `$id` the converted document is registered under; every `$ref` is rewritten to it. */
export const BRAPI_SCHEMA_ID = 'https://lake.bijmantra/brapi-openapi-2.1.json';

/** The parts of an OpenAPI 3.0 document this package reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<'get' | 'post' | 'put', { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** A JSON Schema (or OpenAPI Schema Object) node. */
export type JsonSchema = { [keyword: string]: unknown };

/** Resolves the document path under a reference root the caller chose (e.g. from its env.ts). */
export function resolveBrapiOpenApiPath(referenceRoot: string, relativePath: string = DEFAULT_BRAPI_OPENAPI): string {
  return join(referenceRoot, relativePath);
}

/** Reads and checks the document; throws naming the path when it is not an OpenAPI 3.0 document. */
export async function readBrapiOpenApi(path: string): Promise<OpenApiDocument> {
  let doc: Partial<OpenApiDocument>;
  try {
    doc = JSON.parse(await readFile(path, 'utf8')) as Partial<OpenApiDocument>;
  } catch (error) {
    throw new Error(`cannot read the BrAPI OpenAPI document ${path}: ${(error as Error).message}`);
  }
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.0') || !doc.components?.schemas || !doc.paths) {
    throw new Error(`not an OpenAPI 3.0 document with components.schemas: ${path}`);
  }
  return doc as OpenApiDocument;
}

/**
 * The item schema of an endpoint's array request body (`POST /observations` takes
 * `ObservationNewRequest[]`), or null when the endpoint does not take an array.
 */
export function requestItemSchema(doc: OpenApiDocument, method: 'post' | 'put', path: string): JsonSchema | null {
  const schema = doc.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
  if (schema?.type !== 'array' || typeof schema.items !== 'object' || schema.items === null) return null;
  return schema.items as JsonSchema;
}

/** OpenAPI-only keywords that JSON Schema validation ignores or that ajv would misread. */
const DROPPED = new Set(['example', 'examples', 'deprecated', 'discriminator', 'readOnly', 'writeOnly', 'xml', 'externalDocs']);

/**
 * Converts an OpenAPI 3.0 Schema Object to JSON Schema:
 * - `nullable: true` becomes a `type` array with `"null"` (and `null` joins an `enum`); on a
 *   node without `type` (`$ref`, `oneOf`) it becomes `anyOf: [node, {type: null}]`;
 * - `$ref: '#/components/schemas/X'` points into the document registered as {@link BRAPI_SCHEMA_ID};
 * - documentation-only keywords and `x-` extensions are dropped.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || key.startsWith('x-') || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out.$ref = `${BRAPI_SCHEMA_ID}${value}`;
    else if (key === 'properties' || key === 'definitions' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else out[key] = toJsonSchema(value);
  }
  if ((node as JsonSchema).nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}
