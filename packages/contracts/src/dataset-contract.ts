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
  /** File sources: other header spellings of the column `source` names. */
  synonyms?: string[];
  /** File sources: missing-value tokens of this field, added to the source's. */
  missing?: string[];
  /** File sources: the column holds Field Book `name|CURIE` trait cells and this field takes one part. */
  cell?: 'trait_name' | 'trait_curie';
  /** Foreign key: each non-null value must be in `column` of the current version of `dataset`. */
  references?: { dataset: string; column: string };
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
  /**
   * `rows`: an incremental run stages only the rows whose version (or a joined row's) the last
   * version did not see, and commits them as one delta layer with the keys they supersede.
   * Default `partitions`: changed partitions are rewritten whole.
   */
  incremental?: 'partitions' | 'rows';
  partition_by: string[];
  joins: JoinContract[];
}

/** How a file source's bytes are read. */
export const FILE_FORMATS = ['delimited', 'json', 'brapi', 'genotype'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Missing-value tokens of a file source unless its contract lists its own. */
export const DEFAULT_FILE_MISSING = ['', 'NA', 'N/A', 'NaN', 'null', '.', '-'];

/**
 * Researcher files dropped in the raw tier (`bijmantra-raw/<domain>/<dataset>/...`). Each
 * ingested file appends to the dataset: a version holds the previous version's files plus the
 * new file's rows. `table` names the source in quarantine records and lineage (`files:<dataset>`);
 * `joins` is always empty (files are not joined at extract).
 */
export interface FileSourceContract {
  kind: 'file';
  format: FileFormat;
  /** Accepted file name extensions (lowercase, with the dot). */
  extensions: string[];
  brapi_entity?: string;
  /** Dataset of BrAPI observation variables that fields' `observation_variable` bind to. */
  variables?: string;
  key: string[];
  /** Repeats of `key` within one file are quarantined (rule `unique`). */
  unique: boolean;
  missing: string[];
  timezone: string;
  partition_by: string[];
  table: string;
  joins: JoinContract[];
  cursor?: undefined;
  org_scope?: undefined;
  read_through?: undefined;
  mode?: undefined;
  incremental?: undefined;
  overlap?: undefined;
}

export type SourceContract = PostgresSourceContract | FileSourceContract;

export interface DatasetContract {
  dataset: { name: string; domain: Domain; schema_version: string; description?: string; owner?: string };
  source: SourceContract;
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
    source: (Omit<PostgresSourceContract, 'partition_by' | 'joins'> & Partial<PostgresSourceContract>) | (Partial<FileSourceContract> & { kind: 'file'; format: FileFormat; key: string[] });
    fields: Array<Omit<FieldContract, 'nullable' | 'source'> & Partial<FieldContract>>;
  };
  const source: SourceContract =
    raw.source.kind === 'file'
      ? {
          ...raw.source,
          extensions: raw.source.extensions ?? DEFAULT_EXTENSIONS[raw.source.format],
          unique: raw.source.unique ?? false,
          missing: raw.source.missing ?? DEFAULT_FILE_MISSING,
          timezone: raw.source.timezone ?? 'UTC',
          partition_by: raw.source.partition_by ?? [],
          table: `files:${raw.dataset.name}`,
          joins: [],
        }
      : { ...raw.source, partition_by: raw.source.partition_by ?? [], joins: raw.source.joins ?? [] };
  const contract: DatasetContract = {
    dataset: raw.dataset,
    source,
    // File datasets are driven by arriving files; a schedule only when the contract asks.
    schedule: raw.schedule ?? (source.kind === 'file' ? '' : DEFAULT_SCHEDULE),
    retention: raw.retention ?? {},
    quality: { max_error_rate: raw.quality?.max_error_rate ?? 1 },
    fields: raw.fields.map((f) => ({ ...f, nullable: f.nullable ?? true, source: f.source ?? f.name })),
  };
  const problems = checkSemantics(contract);
  if (problems.length > 0) throw new ContractError(origin, problems);
  return contract;
}

const DEFAULT_EXTENSIONS: Record<FileFormat, string[]> = {
  delimited: ['.csv', '.tsv', '.txt'],
  json: ['.json', '.ndjson', '.jsonl'],
  brapi: ['.json'],
  genotype: ['.vcf', '.hmp', '.txt', '.tsv', '.csv'],
};

/** True for contracts whose rows come from files in the raw tier. */
export function isFileSource(contract: Pick<DatasetContract, 'source'>): contract is DatasetContract & { source: FileSourceContract } {
  return contract.source.kind === 'file';
}

function checkFileSemantics(c: DatasetContract, problems: string[]): void {
  const src = c.source;
  if (src.kind !== 'file') {
    c.fields.forEach((f, i) => {
      for (const prop of ['synonyms', 'missing', 'cell'] as const) {
        if (f[prop] !== undefined) problems.push(`/fields/${i} ${prop} applies to file sources only`);
      }
    });
    return;
  }
  const names = new Set(c.fields.map((f) => f.name));
  for (const k of src.key) if (!names.has(k)) problems.push(`/source/key "${k}" is not a field of the contract`);
  if (src.format === 'brapi' && !src.brapi_entity) problems.push('/source/brapi_entity is required when format is brapi');
  if (src.format !== 'brapi' && src.brapi_entity) problems.push('/source/brapi_entity applies to format brapi only');
  if (!isTimeZone(src.timezone)) problems.push(`/source/timezone "${src.timezone}" is neither an IANA zone nor ±HH:MM`);
  c.fields.forEach((f, i) => {
    if (f.cast_by || f.scale) problems.push(`/fields/${i} cast_by and scale read PostgreSQL staging columns; file sources bind scales with minimum/maximum/categories`);
    if (f.timezone !== undefined && !isTimeZone(f.timezone)) problems.push(`/fields/${i} timezone "${f.timezone}" is neither an IANA zone nor ±HH:MM`);
    if (f.cell && f.type !== 'string') problems.push(`/fields/${i} a ${f.cell} cell part is a string, not ${f.type}`);
    if (f.references && f.references.dataset === datasetId(c)) problems.push(`/fields/${i} references its own dataset`);
    if (f.observation_variable && !src.variables) problems.push(`/fields/${i} binds observation variable "${f.observation_variable}" but /source/variables names no variables dataset`);
  });
  // Fields sharing a column must agree on its unit (one conversion per column).
  const unitOf = new Map<string, string | undefined>();
  for (const f of c.fields.filter((x) => !x.cell)) {
    if (unitOf.has(f.source) && unitOf.get(f.source) !== f.unit) problems.push(`/fields fields reading column "${f.source}" declare different units`);
    unitOf.set(f.source, f.unit);
  }
}

function isTimeZone(zone: string): boolean {
  if (/^(UTC|Z|[+-]\d{2}:?\d{2})$/.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
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
  if (src.incremental === 'rows') {
    if (src.mode === 'insert_only') problems.push('/source/incremental rows applies to mutable tables (insert-only tables append by their cursor)');
    if (src.key.length !== 1) problems.push('/source/incremental rows needs a single-column key');
  }
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
  checkFileSemantics(c, problems);
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
  if (contract.source.kind === 'file') return [...new Set(contract.fields.map((f) => f.source))];
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
