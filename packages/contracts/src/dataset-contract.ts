import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import contractSchema from './contract.schema.json' with { type: 'json' };
import { type ColumnSpec, type LakeType, parseLakeType } from './lake-type.js';

export const DOMAINS = ['phenotype', 'genotype', 'sensor', 'climate', 'soil'] as const;
export type Domain = (typeof DOMAINS)[number];

/** One column of a dataset, as a contract declares it. */
export interface FieldContract {
  name: string;
  type: LakeType;
  nullable: boolean;
  description?: string;
  unit?: string;
  format?: string;
  domain?: Domain;
  /** Staging column the value comes from (defaults to `name`). */
  source: string;
  /** Staging column holding the BrAPI scale dataType that decides whether this field applies. */
  cast_by?: string;
  /** dataTypes (case-insensitive) for which `source` is cast into this field. */
  when?: string[];
  /** Staging column holding the scale's validValues JSON, enforced on this field. */
  scale?: string;
  minimum?: number;
  maximum?: number;
  categories?: string[];
  pattern?: string;
  timezone?: string;
  observation_variable?: string;
  /** Computed by the extract from a source column; the staging column is the field's name. */
  derive?: DeriveContract;
}

/**
 * A value the extract computes in the source database: a PostGIS point's longitude or latitude
 * (`ST_X`/`ST_Y`, never hex EWKB), or the year (integer) or month (`YYYY-MM`, UTC) of a date or
 * timestamp, for time partitions.
 */
export interface DeriveContract {
  fn: 'longitude' | 'latitude' | 'year' | 'month';
  of: string;
}

export interface JoinContract {
  table: string;
  /** An earlier joined table whose columns `on` names; the main table when absent. */
  from?: string;
  on: Record<string, string>;
  columns: Record<string, string>;
}

export interface PostgresSourceContract {
  kind: 'postgres';
  table: string;
  key: string[];
  cursor?: string;
  /** Staging column holding the organization: the main table's, or one a join brings. */
  org_scope?: string;
  /** Function `f(org)` returning `(row_xmin xid, r <table>)` the table is read through. */
  read_through?: string;
  /** `insert_only`: never updated, deleted only with a parent; needs `cursor` and `overlap`. Default `mutable`. */
  mode?: 'mutable' | 'insert_only';
  /** How late an insert-only row may arrive in cursor time, as a PostgreSQL interval (`2 days`). */
  overlap?: string;
  partition_by: string[];
  joins: JoinContract[];
}

export interface DatasetContract {
  dataset: { name: string; domain: Domain; schema_version: string; description?: string; owner?: string };
  source: PostgresSourceContract;
  schedule: string;
  retention: { keep_last?: number; keep_days?: number };
  quality: { max_error_rate: number };
  fields: FieldContract[];
}

/** A contract violation found while loading; names the file and the place in it. */
export class ContractError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`invalid contract ${origin}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ContractError';
  }
}

/** Nightly at 02:00 unless the contract says otherwise. */
export const DEFAULT_SCHEDULE = '0 2 * * *';

const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: false });
const validateShape = ajv.compile(contractSchema);

/** `phenotype.observations`: how datasets are addressed everywhere (CLI, SQL, catalog). */
export function datasetId(contract: Pick<DatasetContract, 'dataset'>): string {
  return `${contract.dataset.domain}.${contract.dataset.name}`;
}

/** Splits `phenotype.observations` into its parts; throws naming the bad id. */
export function parseDatasetId(id: string): { domain: Domain; name: string } {
  const m = /^([a-z]+)\.([a-z][a-z0-9_]{0,62})$/.exec(id);
  if (!m || !DOMAINS.includes(m[1] as Domain)) {
    throw new Error(`invalid dataset id "${id}": expected <domain>.<name> with domain one of ${DOMAINS.join(', ')}`);
  }
  return { domain: m[1] as Domain, name: m[2] as string };
}

/** Parses and validates one contract from YAML text. `origin` names the file in errors. */
export function parseContract(yamlText: string, origin: string): DatasetContract {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new ContractError(origin, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (!validateShape(doc)) {
    const problems = (validateShape.errors ?? []).map((e) => {
      const p = e.params as { allowedValues?: string[]; additionalProperty?: string };
      const detail = p.allowedValues ? ` (${p.allowedValues.join(', ')})` : p.additionalProperty ? `: "${p.additionalProperty}"` : '';
      return `${e.instancePath || '/'} ${e.message}${detail}`;
    });
    throw new ContractError(origin, problems);
  }
  const raw = doc as Omit<DatasetContract, 'fields' | 'source'> & {
    source: Omit<PostgresSourceContract, 'partition_by' | 'joins'> & Partial<PostgresSourceContract>;
    fields: Array<Omit<FieldContract, 'nullable' | 'source'> & Partial<FieldContract>>;
  };
  const contract: DatasetContract = {
    dataset: raw.dataset,
    source: { ...raw.source, partition_by: raw.source.partition_by ?? [], joins: raw.source.joins ?? [] },
    schedule: raw.schedule ?? DEFAULT_SCHEDULE,
    retention: raw.retention ?? {},
    quality: { max_error_rate: raw.quality?.max_error_rate ?? 1 },
    fields: raw.fields.map((f) => ({ ...f, nullable: f.nullable ?? true, source: f.source ?? f.name })),
  };
  const problems = checkSemantics(contract);
  if (problems.length > 0) throw new ContractError(origin, problems);
  return contract;
}

function checkSemantics(c: DatasetContract): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, f] of c.fields.entries()) {
    if (names.has(f.name)) problems.push(`/fields/${i} duplicate field name "${f.name}"`);
    names.add(f.name);
    try {
      parseLakeType(f.type);
    } catch (err) {
      problems.push(`/fields/${i} ${(err as Error).message}`);
    }
    if (f.minimum !== undefined && f.maximum !== undefined && f.minimum > f.maximum) {
      problems.push(`/fields/${i} minimum ${f.minimum} is above maximum ${f.maximum}`);
    }
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern, 'u');
      } catch {
        problems.push(`/fields/${i} pattern is not a valid regular expression: ${f.pattern}`);
      }
    }
  }
  const src = c.source;
  const joinedColumns = new Set(src.joins.flatMap((j) => Object.keys(j.columns)));
  src.joins.forEach((j, i) => {
    if (j.from !== undefined && !src.joins.slice(0, i).some((earlier) => earlier.table === j.from)) {
      problems.push(`/source/joins/${i} from "${j.from}" is not a table joined before it`);
    }
  });
  if (src.org_scope && src.read_through && joinedColumns.has(src.org_scope)) {
    problems.push(`/source/org_scope "${src.org_scope}" must be a column of ${src.table} when the table is read through ${src.read_through}`);
  }
  if (src.read_through && !src.org_scope) problems.push(`/source/read_through needs org_scope: ${src.read_through}(org) is called once per organization`);
  if (src.mode === 'insert_only' && (!src.cursor || !src.overlap)) problems.push('/source/mode insert_only needs a cursor (event time) and an overlap');
  if (src.mode !== 'insert_only' && src.overlap) problems.push('/source/overlap applies only to mode insert_only');
  for (const [i, f] of c.fields.entries()) {
    if (!f.derive) continue;
    if (f.source !== f.name) problems.push(`/fields/${i} a derived field reads no source column: drop "source" or "derive"`);
    if (f.cast_by) problems.push(`/fields/${i} a derived field cannot be cast by a scale`);
    const want = f.derive.fn === 'year' ? ['int16', 'int32', 'int64'] : f.derive.fn === 'month' ? ['string'] : ['float64', 'float32'];
    if (!want.includes(f.type)) problems.push(`/fields/${i} derive ${f.derive.fn} gives ${want.join(' or ')}, not ${f.type}`);
  }
  for (const p of c.source.partition_by) {
    if (!names.has(p)) problems.push(`/source/partition_by "${p}" is not a field of the contract`);
    const field = c.fields.find((f) => f.name === p);
    if (field && !['int16', 'int32', 'int64', 'string'].includes(field.type)) {
      problems.push(`/source/partition_by "${p}" is ${field.type}; partition by an integer or string field`);
    }
    if (field?.cast_by) problems.push(`/source/partition_by "${p}" is cast by a scale and cannot partition`);
  }
  return problems;
}

/** Reads and validates one contract file. */
export async function loadContract(path: string): Promise<DatasetContract> {
  return parseContract(await readFile(path, 'utf8'), path);
}

/**
 * Loads every `<domain>/<dataset>.yaml` below `dir`, checking that the file's place matches
 * the dataset it declares. Returns them sorted by dataset id.
 */
export async function loadContracts(dir: string): Promise<DatasetContract[]> {
  const out: DatasetContract[] = [];
  for (const domain of DOMAINS) {
    let files: string[];
    try {
      files = await readdir(join(dir, domain));
    } catch {
      continue;
    }
    for (const file of files.filter((f) => f.endsWith('.yaml')).sort()) {
      const path = join(dir, domain, file);
      const contract = await loadContract(path);
      const expected = `${domain}/${contract.dataset.name}.yaml`;
      if (contract.dataset.domain !== domain || file !== `${contract.dataset.name}.yaml`) {
        throw new ContractError(path, [`declares ${datasetId(contract)} but must then live at ${expected}`]);
      }
      out.push(contract);
    }
  }
  return out.sort((a, b) => datasetId(a).localeCompare(datasetId(b)));
}

/** Stable hash of a contract's meaning (key order independent). */
export function contractHash(contract: DatasetContract): string {
  return createHash('sha256').update(canonicalJson(contract)).digest('hex').slice(0, 16);
}

/** JSON with sorted object keys: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The Parquet column specs of a contract's output dataset, in field order. */
export function outputColumns(contract: DatasetContract): ColumnSpec[] {
  return contract.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }));
}

/** The source (staging) columns a contract reads from its main table. */
export function sourceColumns(contract: DatasetContract): string[] {
  const joined = new Set(contract.source.joins.flatMap((j) => Object.keys(j.columns)));
  const wanted = new Set<string>([...contract.source.key]);
  if (contract.source.cursor) wanted.add(contract.source.cursor);
  if (contract.source.org_scope && !joined.has(contract.source.org_scope)) wanted.add(contract.source.org_scope);
  for (const j of contract.source.joins) if (j.from === undefined) for (const col of Object.keys(j.on)) wanted.add(col);
  for (const f of contract.fields) {
    // A derived field reads its column inside the expression (a PostGIS point is never staged).
    if (f.derive) continue;
    for (const col of [f.source, f.cast_by, f.scale]) if (col && !joined.has(col)) wanted.add(col);
  }
  return [...wanted];
}

/** The contract as YAML, as mirrored to the metadata bucket and the catalog's schema history. */
export function contractToYaml(contract: DatasetContract): string {
  return stringifyYaml(contract, { lineWidth: 0 });
}
