import type { JsonSchema } from './openapi-document.js';

/**
 * The places where the BrAPI 2.1 standard, its own examples, or the tools that speak it disagree
 * with the letter of the schema, and what ingestion does instead of rejecting the data. Every
 * decision is listed here (and in the README) so that none hides in a mapping.
 *
 * Timestamps (`2018-01-01T14:47:23-0600`, offsets without a colon; `2016-01-07 12:08:24-0500`,
 * a space for `T`) are handled by the `date-time` format in `brapi-timestamp.ts`.
 */

const ANY_JSON_OBJECT = { type: ['object', 'null'] };
const SCALAR_AS_TEXT = { type: ['string', 'number', 'boolean', 'null'] };

/** One schema relaxation: applies to every object schema whose properties match. */
interface SchemaQuirk {
  /** What it absorbs and why. */
  why: string;
  /** Properties the object schema must have for the quirk to apply (identifies the entity). */
  when: string[];
  property: string;
  schema: JsonSchema;
}

/** The schema relaxations, applied to every object schema of the converted document. */
export const BRAPI_SCHEMA_QUIRKS: readonly SchemaQuirk[] = [
  {
    why:
      '`additionalInfo` is typed map<string,string>, but its own description says "a data source may provide any JSON object"; ' +
      'servers put numbers, booleans and nested objects there. Any object is accepted and kept as JSON text.',
    when: [],
    property: 'additionalInfo',
    schema: ANY_JSON_OBJECT,
  },
  {
    why:
      '`Observation.value` is a string whose real type comes from the variable’s `scale.dataType`; typing it is a later ' +
      'stage’s job. Exporters that write numbers or booleans are accepted; the row holds the JSON text (`2.3` → "2.3").',
    when: ['observationVariableDbId'],
    property: 'value',
    schema: SCALAR_AS_TEXT,
  },
  {
    why: '`Call.genotypeValue` is a string typed later (like `Observation.value`); numbers (dosages) are kept as their text.',
    when: [],
    property: 'genotypeValue',
    schema: SCALAR_AS_TEXT,
  },
  {
    why:
      '`Scale.validValues.min`/`max` (deprecated) are integers; fractional limits belong in `minimumValue`/`maximumValue` ' +
      '(strings). Older servers put fractions in `min`/`max`; they are accepted as numbers.',
    when: ['minimumValue'],
    property: 'min',
    schema: { type: ['number', 'null'] },
  },
  {
    why: 'As for `min`: a fractional deprecated `max` is accepted.',
    when: ['maximumValue'],
    property: 'max',
    schema: { type: ['number', 'null'] },
  },
  {
    why:
      '`Variant.variantSetDbId` is an array in 2.1 (a variant may belong to several sets) but a string in 2.0 and in ' +
      '`Call`; on a variant a single string is accepted and read as a one-element list.',
    when: ['variantDbId', 'alternateBases'],
    property: 'variantSetDbId',
    schema: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }, { type: 'null' }] },
  },
];

/** Applies {@link BRAPI_SCHEMA_QUIRKS} in place to a converted (JSON Schema) tree. */
export function applySchemaQuirks(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) applySchemaQuirks(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as JsonSchema;
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (properties && typeof properties === 'object') {
    for (const quirk of BRAPI_SCHEMA_QUIRKS) {
      if (quirk.property in properties && quirk.when.every((name) => name in properties)) {
        properties[quirk.property] = { ...quirk.schema };
      }
    }
  }
  for (const value of Object.values(schema)) applySchemaQuirks(value);
}

/**
 * The current name wins over a deprecated alias; the alias only fills a gap. Used for
 * `Variant.alternateBases` / `alternate_bases` (both are in the 2.1 schema, with the same
 * meaning) and `Scale.validValues.minimumValue` / `min`. When both are present and differ, the
 * current field is kept; the deprecated one stays visible in the entity’s JSON columns.
 */
export function preferCurrent<T>(current: T | null | undefined, deprecated: T | null | undefined): T | null {
  return current ?? deprecated ?? null;
}
