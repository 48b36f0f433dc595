import type { BrapiEntityName } from './brapi-entities.js';
import { type BrapiIssue, brapiIssue } from './brapi-issue.js';
import type { BrapiSchemaKind, BrapiSchemas } from './brapi-schemas.js';
import { type BrapiRow, flattenBrapiEntity } from './flatten-entity.js';
import { type JsonElement, type PayloadShape, scanJsonElements } from './json-element-scanner.js';
import { locateJsonPointer } from './json-pointer-locator.js';

/**
 * Reading a BrAPI payload of one entity type: scan (`json-element-scanner.ts`) → parse each
 * entity alone → validate against the OpenAPI schema (`brapi-schemas.ts`) → flatten to a lake
 * row (`flatten-entity.ts`). A valid entity yields one `entity` item; an invalid one yields one
 * issue per problem, each located at the offending value; malformed JSON yields one issue and
 * ends the stream. Nothing about the payload's content is thrown.
 */

/** Reader options. */
export interface ReadBrapiOptions {
  /** Which entity the payload holds. */
  entity: BrapiEntityName;
  /** The compiled schemas (`loadBrapiSchemas`). */
  schemas: BrapiSchemas;
  /**
   * The payload shape; `auto` decides from the root (see `json-element-scanner.ts`).
   * @defaultValue 'auto'
   */
  shape?: PayloadShape | 'auto';
  /**
   * Which schema to validate against; `auto` uses the response schema for response envelopes
   * (entities carry their server ids) and the write endpoint's request schema otherwise.
   * @defaultValue 'auto'
   */
  schema?: BrapiSchemaKind | 'auto';
}

/** One valid entity, parsed and flattened. */
export interface BrapiEntityItem {
  kind: 'entity';
  entity: BrapiEntityName;
  /** 0-based position in the payload. */
  index: number;
  /** The bulk-PUT map member name, when the payload is a map. */
  key?: string;
  /** Byte offset, 1-based line and byte column where the entity starts. */
  offset: number;
  line: number;
  column: number;
  /** The entity as parsed (timestamps still as sent; the row holds them normalized). */
  value: unknown;
  /** The entity's JSON text as it appeared in the payload. */
  raw: string;
  /** The flat lake row (`BRAPI_ENTITY_COLUMNS[entity]`). */
  row: BrapiRow;
}

/** Streams the entities of one BrAPI payload; see the module comment for what is yielded. */
export async function* readBrapiEntities(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: ReadBrapiOptions,
): AsyncGenerator<BrapiEntityItem | BrapiIssue> {
  const scanOptions = options.shape === undefined ? {} : { shape: options.shape };
  for await (const item of scanJsonElements(source, scanOptions)) {
    if (item.kind === 'error') yield item;
    else yield* checkElement(item, options);
  }
}

/** Parses, validates and flattens one scanned element. */
export function checkElement(element: JsonElement, options: ReadBrapiOptions): Array<BrapiEntityItem | BrapiIssue> {
  const { entity, schemas } = options;
  let value: unknown;
  try {
    value = JSON.parse(element.text);
  } catch (error) {
    // The scanner checked the grammar, so this is a JSON.parse limit, not a syntax error.
    return [issueAt(element, '', 'json-syntax', `entity ${element.index}: ${(error as Error).message}`)];
  }
  const kind = options.schema === undefined || options.schema === 'auto' ? (element.shape === 'envelope' ? 'response' : 'request') : options.schema;
  const violations = schemas.validate(entity, kind, value);
  if (violations.length > 0) return violations.map((v) => issueAt(element, v.path, v.rule, v.message));
  const { row, problems } = flattenBrapiEntity(entity, value, element.key);
  if (problems.length > 0) return problems.map((p) => issueAt(element, p.path, p.rule, p.message));
  const item: BrapiEntityItem = {
    kind: 'entity',
    entity,
    index: element.index,
    offset: element.offset,
    line: element.line,
    column: element.column,
    value,
    raw: element.text,
    row,
  };
  if (element.key !== undefined) item.key = element.key;
  return [item];
}

function issueAt(element: JsonElement, path: string, rule: string, message: string): BrapiIssue {
  const at = locateJsonPointer(element.text, path);
  const line = element.line + at.lineDelta;
  const column = at.lineDelta === 0 ? element.column + at.column : at.column;
  const where = element.key === undefined ? `entity ${element.index}` : `entity ${element.index} ("${element.key}")`;
  return brapiIssue({
    index: element.index,
    line,
    column,
    offset: element.offset + at.byteDelta,
    path,
    rule,
    message: `line ${line}, ${where}: ${message}`,
    raw: element.text,
  });
}
