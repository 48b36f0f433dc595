export { BRAPI_ENTITIES, BRAPI_ENTITY_NAMES, isBrapiEntityName, type BrapiEntityDefinition, type BrapiEntityName } from './brapi-entities.js';
export { BRAPI_ENTITY_COLUMNS } from './brapi-entity-columns.js';
export { brapiIssue, type BrapiIssue, type BrapiRule } from './brapi-issue.js';
export { BRAPI_SCHEMA_QUIRKS, applySchemaQuirks, preferCurrent } from './brapi-quirks.js';
export { checkElement, readBrapiEntities, type BrapiEntityItem, type ReadBrapiOptions } from './brapi-reader.js';
export { BrapiSchemas, loadBrapiSchemas, type BrapiSchemaKind, type SchemaViolation } from './brapi-schemas.js';
export { microsToIso, parseBrapiDate, parseBrapiTimestamp, type BrapiTimestamp } from './brapi-timestamp.js';
export { column, mapColumns, readPointer, snakeCase, type BrapiColumn, type ColumnOptions, type ColumnProblem } from './column-mapping.js';
export { flattenBrapiEntity, type BrapiRow, type FlattenResult } from './flatten-entity.js';
export {
  JsonElementScanner,
  scanJsonElements,
  type JsonElement,
  type JsonElementScannerOptions,
  type PayloadShape,
} from './json-element-scanner.js';
export { escapePointerToken, locateJsonPointer, type TextPosition } from './json-pointer-locator.js';
export {
  BRAPI_SCHEMA_ID,
  DEFAULT_BRAPI_OPENAPI,
  readBrapiOpenApi,
  requestItemSchema,
  resolveBrapiOpenApiPath,
  toJsonSchema,
  type JsonSchema,
  type OpenApiDocument,
} from './openapi-document.js';
