import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BrapiEntityItem,
  type BrapiEntityName,
  type BrapiIssue,
  type BrapiSchemas,
  isBrapiEntityName,
  loadBrapiSchemas,
  readBrapiEntities,
  resolveBrapiOpenApiPath,
} from '../src/index.js';

/** The shared reference tree (tests only; the package itself takes paths from its caller). */
export const REFERENCE_ROOT = process.env.LAKE_REFERENCE_DIR ?? '/work/shared/reference';
export const EXAMPLES_DIR = join(REFERENCE_ROOT, 'brapi', 'brapi-spec-examples');

let schemas: Promise<BrapiSchemas> | undefined;
/** The compiled schemas, loaded once per test file. */
export function testSchemas(): Promise<BrapiSchemas> {
  schemas ??= loadBrapiSchemas(resolveBrapiOpenApiPath(REFERENCE_ROOT));
  return schemas;
}

export interface ExampleFile {
  file: string;
  method: 'GET' | 'POST' | 'PUT';
  kind: 'Request' | 'Response200';
  entity: BrapiEntityName;
}

/**
 * The spec examples whose body holds ingested entities, with the entity they hold:
 * `/x`, `/x/{xDbId}`, `/search/x`, `/search/x/{searchResultsDbId}` and `/parent/{id}/x`.
 * The `/observations/table` and `/observationunits/table` responses are not entity lists.
 */
export function entityExamples(): ExampleFile[] {
  const out: ExampleFile[] = [];
  for (const file of readdirSync(EXAMPLES_DIR).sort()) {
    const m = /^BrAPI-[A-Za-z]+__(GET|POST|PUT)_(.+)__(Request|Response200)\.json$/.exec(file);
    if (!m) continue;
    const [, method, path, kind] = m as unknown as [string, ExampleFile['method'], string, ExampleFile['kind']];
    const parts = path.split('_');
    let entity: string | undefined;
    if (parts[0] === 'search') entity = parts[1];
    else if (parts.length === 1 || (parts.length === 2 && /DbId$/.test(parts[1] as string))) entity = parts[0];
    else if (parts.length === 3 && /DbId$/.test(parts[1] as string)) entity = parts[2];
    if (entity === undefined || !isBrapiEntityName(entity)) continue;
    // Search requests are filters, not entities.
    if (kind === 'Request' && parts[0] === 'search') continue;
    out.push({ file, method, kind, entity });
  }
  return out;
}

export function exampleBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(EXAMPLES_DIR, file)));
}

/** Splits bytes into chunks of `size` bytes. */
export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads a whole payload (as one chunk unless `chunks` is given). */
export async function readAll(
  entity: BrapiEntityName,
  payload: string | Uint8Array | Uint8Array[],
  shape?: 'array' | 'envelope' | 'map' | 'single',
): Promise<Array<BrapiEntityItem | BrapiIssue>> {
  const source = Array.isArray(payload) ? payload : [payload];
  return collect(readBrapiEntities(source, { entity, schemas: await testSchemas(), ...(shape ? { shape } : {}) }));
}
