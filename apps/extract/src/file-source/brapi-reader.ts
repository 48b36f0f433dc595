import { type BrapiEntityName, type BrapiIssue, type BrapiSchemas, BRAPI_ENTITY_COLUMNS, type JsonElement, checkElement, isBrapiEntityName, readBrapiEntities } from '@lake/brapi';
import { type ColumnSpec, type DatasetContract, type FileSourceContract, type LakeValue, PermanentError } from '@lake/contracts';
import { FileRejectedError } from './file-rejected-error.js';
import type { OpenedFile, StagedRecord } from './staged-record.js';

type FileContract = DatasetContract & { source: FileSourceContract };

/** Issues that mean the payload as a whole is broken, not one entity. */
const PAYLOAD_RULES = new Set(['json-syntax', 'encoding', 'payload-shape']);

export function brapiEntity(contract: FileContract): BrapiEntityName {
  const entity = contract.source.brapi_entity ?? '';
  if (!isBrapiEntityName(entity)) throw new PermanentError(`contract of ${contract.dataset.name}: brapi_entity "${entity}" is not an ingested BrAPI entity`);
  return entity;
}

/** Staged types of the fields: each field reads one BrAPI column (`observation_time_stamp`, ...). */
export function brapiFieldSpecs(contract: FileContract): ColumnSpec[] {
  const columns = new Map<string, ColumnSpec>(BRAPI_ENTITY_COLUMNS[brapiEntity(contract)].map((c) => [c.name, c]));
  return contract.fields.map((f) => {
    const c = columns.get(f.source);
    if (!c) throw new PermanentError(`contract of ${contract.dataset.name}: field ${f.name} reads "${f.source}", which is no column of BrAPI ${contract.source.brapi_entity}`);
    return { name: f.name, type: c.type, nullable: true };
  });
}

function toRecord(contract: FileContract, item: { line: number; row: Record<string, LakeValue>; raw: string }): StagedRecord {
  const values: Record<string, LakeValue> = {};
  for (const f of contract.fields) values[f.name] = item.row[f.source] ?? null;
  return { line: item.line, values, errors: [], record: item.raw, header: null };
}

function issuesRecord(issues: BrapiIssue[], line: number): StagedRecord {
  return {
    line,
    values: {},
    errors: issues.map((i) => ({ column: i.path || '(entity)', rule: i.rule, raw: i.raw.length > 4096 ? i.raw.slice(0, 4096) : i.raw, message: i.message })),
    record: issues[0]?.raw ?? null,
    header: null,
  };
}

/**
 * Opens a BrAPI JSON payload (array, response envelope, bulk map or one entity): each entity is
 * validated against the BrAPI 2.1 schema and flattened; an invalid entity becomes one record with
 * every violation located by line and JSON pointer. Malformed JSON rejects the file.
 */
export async function openBrapi(bytes: AsyncIterable<Uint8Array>, contract: FileContract, schemas: BrapiSchemas, file: string): Promise<OpenedFile> {
  const entity = brapiEntity(contract);
  const fields = brapiFieldSpecs(contract);
  async function* records(): AsyncGenerator<StagedRecord> {
    let pending: BrapiIssue[] = [];
    for await (const item of readBrapiEntities(bytes, { entity, schemas })) {
      if (item.kind === 'error' && PAYLOAD_RULES.has(item.rule)) {
        throw new FileRejectedError({ file, line: item.line, column: item.column, rule: item.rule }, item.message);
      }
      if (pending.length > 0 && (item.kind === 'entity' || item.index !== pending[0]?.index)) {
        yield issuesRecord(pending, pending[0]?.line ?? 1);
        pending = [];
      }
      if (item.kind === 'error') pending.push(item);
      else yield toRecord(contract, item);
    }
    if (pending.length > 0) yield issuesRecord(pending, pending[0]?.line ?? 1);
  }
  return { fields, records: records(), conversions: [] };
}

/** Re-checks one entity's text (a replayed quarantine row) under the current contract. */
export function recheckBrapi(contract: FileContract, schemas: BrapiSchemas, text: string, line: number): StagedRecord {
  const element: JsonElement = { kind: 'element', index: 0, offset: 0, line, column: 1, text, shape: 'array' };
  const items = checkElement(element, { entity: brapiEntity(contract), schemas });
  const ok = items.find((i) => i.kind === 'entity');
  if (ok && ok.kind === 'entity') return toRecord(contract, ok);
  return issuesRecord(items.filter((i): i is BrapiIssue => i.kind === 'error'), line);
}
