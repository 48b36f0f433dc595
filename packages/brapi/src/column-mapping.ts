import type { ColumnSpec, LakeType, LakeValue } from '@lake/contracts';
import { preferCurrent } from './brapi-quirks.js';
import { parseBrapiDate, parseBrapiTimestamp } from './brapi-timestamp.js';

/**
 * The rule that turns one BrAPI entity into one flat lake row: each column names the JSON
 * pointer it reads, and the column's lake type decides the conversion. Nested objects and
 * arrays that have no flat column are kept whole as JSON text, so nothing the schema defines
 * is dropped (`test/entity-columns.test.ts` checks every property is read by some column).
 */

/** A lake column and where its value comes from in the entity. */
export interface BrapiColumn extends ColumnSpec {
  /** JSON pointer into the entity (`/season/seasonDbId`). */
  source: string;
  /** A deprecated alias read when `source` is absent or null (`/alternate_bases`). */
  fallback?: string;
}

/** A value that could not become its column's type. */
export interface ColumnProblem {
  path: string;
  rule: 'lake-type' | 'required';
  message: string;
}

/** Options for {@link column}. */
export interface ColumnOptions {
  /**
   * The column name.
   * @defaultValue the snake_case of the pointer's last token
   */
  name?: string;
  /**
   * Whether the column may hold null; false only where both the request and the response
   * schema require the field.
   * @defaultValue true
   */
  nullable?: boolean;
  fallback?: string;
}

/** Declares a column reading `source` (a JSON pointer) as `type`. */
export function column(source: string, type: LakeType, options: ColumnOptions = {}): BrapiColumn {
  const last = source.slice(source.lastIndexOf('/') + 1);
  const spec: BrapiColumn = { name: options.name ?? snakeCase(last), type, nullable: options.nullable ?? true, source };
  if (options.fallback !== undefined) spec.fallback = options.fallback;
  return spec;
}

/**
 * BrAPI camelCase to snake_case, keeping acronyms whole: `observationDbId` →
 * `observation_db_id`, `observationUnitPUI` → `observation_unit_pui`, `imageURL` → `image_url`,
 * `genotype_likelihood` unchanged.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Reads a JSON pointer from a parsed value; undefined when any step is missing. */
export function readPointer(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  let at: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[token];
  }
  return at;
}

/** Builds one row from an entity; problems are returned, never thrown. */
export function mapColumns(
  entity: unknown,
  columns: readonly BrapiColumn[],
): { row: Record<string, LakeValue>; problems: ColumnProblem[] } {
  const row: Record<string, LakeValue> = {};
  const problems: ColumnProblem[] = [];
  for (const spec of columns) {
    const current = readPointer(entity, spec.source);
    const raw = spec.fallback === undefined ? current : preferCurrent(current, readPointer(entity, spec.fallback));
    const path = current == null && spec.fallback !== undefined ? spec.fallback : spec.source;
    const converted = toLakeValue(spec.type, raw);
    if (converted === INVALID) {
      problems.push({ path, rule: 'lake-type', message: `${path} cannot be stored as ${spec.type} (column ${spec.name}): ${JSON.stringify(raw)}` });
      row[spec.name] = null;
      continue;
    }
    if (converted === null && !spec.nullable) {
      problems.push({ path, rule: 'required', message: `${path} is required (column ${spec.name} is not nullable)` });
    }
    row[spec.name] = converted;
  }
  return { row, problems };
}

const INVALID = Symbol('invalid');
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Converts a JSON value to the in-memory form of a lake type (see `lake-type.ts`). */
function toLakeValue(type: LakeType, value: unknown): LakeValue | typeof INVALID {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      // Observation.value and Call.genotypeValue: numbers/booleans keep their JSON text.
      if (typeof value === 'string') return value;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : INVALID;
    case 'json':
      return JSON.stringify(value);
    case 'timestamp':
      return typeof value === 'string' ? (parseBrapiTimestamp(value)?.micros ?? INVALID) : INVALID;
    case 'date':
      return typeof value === 'string' ? (parseBrapiDate(value) ?? INVALID) : INVALID;
    case 'boolean':
      return typeof value === 'boolean' ? value : INVALID;
    case 'int16':
    case 'int32':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX && (type === 'int32' || Math.abs(value as number) < 32768) ? (value as number) : INVALID;
    case 'int64':
      return Number.isSafeInteger(value) ? BigInt(value as number) : INVALID;
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? value : INVALID;
    default:
      return toList(type, value);
  }
}

function toList(type: LakeType, value: unknown): LakeValue | typeof INVALID {
  const element = /^list<(.+)>$/.exec(type)?.[1] as LakeType | undefined;
  if (!element) return INVALID;
  // Variant.variantSetDbId: a 2.0-style single string is a one-element list.
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : null;
  if (!items) return INVALID;
  const out: LakeValue[] = [];
  for (const item of items) {
    const converted = toLakeValue(element, item);
    if (converted === INVALID) return INVALID;
    out.push(converted);
  }
  return out;
}
