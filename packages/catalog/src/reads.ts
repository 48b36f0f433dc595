import type { FileTotals } from '@lake/contracts';
import { sql } from 'kysely';
import type { Catalog } from './catalog-connection.js';
import type { FileRole } from './catalog-schema.js';

export interface DatasetSummary {
  id: string;
  current_version: number | null;
  row_count: string | null;
  byte_size: string | null;
  committed_at: Date | null;
  contract_hash: string;
}

export async function listDatasets(catalog: Catalog): Promise<DatasetSummary[]> {
  return catalog.db
    .selectFrom('datasets as d')
    .leftJoin('versions as v', (j) => j.onRef('v.dataset_id', '=', 'd.id').onRef('v.version', '=', 'd.current_version'))
    .select(['d.id', 'd.current_version', 'v.row_count', 'v.byte_size', 'v.committed_at', 'd.contract_hash'])
    .orderBy('d.id')
    .execute();
}

export interface VersionRow {
  dataset_id: string;
  version: number;
  run_id: string;
  contract_hash: string;
  schema_version: string;
  row_count: string;
  byte_size: string;
  file_count: number;
  snapshot: Record<string, unknown>;
  committed_at: Date;
}

export async function listVersions(catalog: Catalog, dataset: string): Promise<VersionRow[]> {
  return (await catalog.db.selectFrom('versions').selectAll().where('dataset_id', '=', dataset).orderBy('version', 'desc').execute()) as VersionRow[];
}

/** Which version to read: the current one, a number, or the one current at a point in time. */
export type VersionSelector = { kind: 'current' } | { kind: 'number'; version: number } | { kind: 'asOf'; at: Date };

/** Parses `v3`, `3`, an ISO timestamp, or undefined (current). */
export function parseVersionSelector(text: string | undefined): VersionSelector {
  if (text === undefined || text === '' || text === 'current' || text === 'latest') return { kind: 'current' };
  const m = /^v?(\d+)$/.exec(text);
  if (m) return { kind: 'number', version: Number(m[1]) };
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new Error(`"${text}" is neither a version (v3) nor a timestamp`);
  return { kind: 'asOf', at };
}

/** Resolves a selector to a committed version; readers never see anything else. */
export async function resolveVersion(catalog: Catalog, dataset: string, sel: VersionSelector): Promise<VersionRow | undefined> {
  let q = catalog.db.selectFrom('versions').selectAll().where('dataset_id', '=', dataset);
  if (sel.kind === 'number') q = q.where('version', '=', sel.version);
  else if (sel.kind === 'asOf') q = q.where('committed_at', '<=', sel.at).orderBy('version', 'desc').limit(1);
  else {
    const ds = await catalog.db.selectFrom('datasets').select('current_version').where('id', '=', dataset).executeTakeFirst();
    if (ds?.current_version == null) return undefined;
    q = q.where('version', '=', ds.current_version);
  }
  return (await q.executeTakeFirst()) as VersionRow | undefined;
}

export interface FileRow {
  bucket: string;
  path: string;
  partition: Array<[string, string | null]>;
  row_count: string;
  byte_size: string;
  column_stats: Record<string, unknown>;
  role: FileRole;
  layer: number;
  mask_column: string | null;
}

/** Every file of a version: its rows in layers, the keys its delta layers supersede, its key index. */
export async function versionFiles(catalog: Catalog, dataset: string, version: number): Promise<FileRow[]> {
  return (await catalog.db
    .selectFrom('files')
    .select(['bucket', 'path', 'partition', 'row_count', 'byte_size', 'column_stats', 'role', 'layer', 'mask_column'])
    .where('dataset_id', '=', dataset)
    .where('version', '=', version)
    .orderBy('layer')
    .orderBy('path')
    .execute()) as FileRow[];
}

/**
 * A version's row files by layer, each layer with the deletes files of the layers above it: a row
 * of a layer is part of the version unless one of those names its key. A version without delta
 * layers is one layer with no deletes.
 */
export interface VersionLayer {
  layer: number;
  files: FileRow[];
  /** Deletes files of later layers; their `key` column matches the rows' `mask_column`. */
  maskedBy: FileRow[];
}

export function versionLayers(files: FileRow[]): VersionLayer[] {
  const rows = files.filter((f) => f.role === 'rows');
  const deletes = files.filter((f) => f.role === 'deletes');
  const layers = [...new Set(rows.map((f) => f.layer))].sort((a, b) => a - b);
  return layers.map((layer) => ({ layer, files: rows.filter((f) => f.layer === layer), maskedBy: deletes.filter((d) => d.layer > layer) }));
}

export async function lineageEvents(catalog: Catalog, filter: { runId?: string; dataset?: string; limit?: number }) {
  let q = catalog.db.selectFrom('lineage_events').select(['run_id', 'job_name', 'event_type', 'event_time', 'event']).orderBy('id');
  if (filter.runId) q = q.where('run_id', '=', filter.runId);
  if (filter.dataset) q = q.where('dataset_id', '=', filter.dataset);
  return q.limit(filter.limit ?? 1000).execute();
}

export async function quarantineSummary(catalog: Catalog, dataset: string, version: number) {
  return catalog.db
    .selectFrom('quarantine_summaries')
    .select(['column_name', 'rule', 'row_count'])
    .where('dataset_id', '=', dataset)
    .where('version', '=', version)
    .orderBy('row_count', 'desc')
    .execute();
}

/**
 * Every object a committed version references, as `bucket/path`: gc never deletes these.
 * `ignoring` (`dataset@version`) leaves out versions a dry run pretends are already dropped.
 */
export async function referencedObjects(catalog: Catalog, ignoring?: Set<string>): Promise<Set<string>> {
  const rows = await catalog.db.selectFrom('files').select(['bucket', 'path', 'dataset_id', 'version']).execute();
  const ignored = (r: { dataset_id: string; version: number }) =>
    ignoring?.has(`${r.dataset_id}@${r.version}`) || ignoring?.has(`${r.dataset_id.replace(/_quarantine$/, '')}@${r.version}`);
  return new Set(rows.filter((r) => !ignored(r)).map((r) => `${r.bucket}/${r.path}`));
}

/** Runs still queued or running: their objects are in flight, not garbage. */
export async function activeRuns(catalog: Catalog): Promise<Array<{ id: string; dataset_id: string; version: number; updated_at: Date }>> {
  return catalog.db.selectFrom('runs').select(['id', 'dataset_id', 'version', 'updated_at']).where('status', 'in', ['queued', 'running']).execute();
}

export interface PartitionRow {
  partition_key: string;
  partition: Array<[string, string | null]>;
  row_count: string;
  fingerprint: string;
}

/** The partition fingerprints a committed version recorded. */
export async function versionPartitions(catalog: Catalog, dataset: string, version: number): Promise<PartitionRow[]> {
  return (await catalog.db
    .selectFrom('partitions')
    .select(['partition_key', 'partition', 'row_count', 'fingerprint'])
    .where('dataset_id', '=', dataset)
    .where('version', '=', version)
    .execute()) as PartitionRow[];
}

/**
 * The version an incremental run may build on: the current one, when it was written under the
 * same contract. Any contract change (new field, new cast) means a full run.
 */
export async function incrementalBase(
  catalog: Catalog,
  dataset: string,
  contractHash: string,
): Promise<{ version: number; snapshot: Record<string, unknown>; partitions: Map<string, PartitionRow> } | undefined> {
  const current = await resolveVersion(catalog, dataset, { kind: 'current' });
  if (!current || current.contract_hash !== contractHash) return undefined;
  const partitions = await versionPartitions(catalog, dataset, current.version);
  return { version: current.version, snapshot: current.snapshot as Record<string, unknown>, partitions: new Map(partitions.map((p) => [p.partition_key, p])) };
}

/** What a row-level delta run builds on: the current version's key index and deletes, by layer. */
export interface DeltaBaseVersion {
  version: number;
  snapshot: Record<string, unknown>;
  /** The highest layer the version has (0: no delta layer yet). */
  layer: number;
  /** Key index files (`key`, `q`: quarantined), one per layer. */
  keys: FileRow[];
  /** Deletes files of the dataset and of its quarantine. */
  deletes: FileRow[];
}

/**
 * The version a row-level delta may build on: the current one, written under the same contract,
 * with a key index for its first layer (written by a full run of a contract with
 * `incremental: rows`). Otherwise the run is a full one.
 */
export async function deltaBaseVersion(catalog: Catalog, dataset: string, contractHash: string): Promise<DeltaBaseVersion | undefined> {
  const current = await resolveVersion(catalog, dataset, { kind: 'current' });
  if (!current || current.contract_hash !== contractHash) return undefined;
  const files = (await catalog.db
    .selectFrom('files')
    .select(['dataset_id', 'bucket', 'path', 'partition', 'row_count', 'byte_size', 'column_stats', 'role', 'layer', 'mask_column'])
    .where('dataset_id', 'in', [dataset, `${dataset}_quarantine`])
    .where('version', '=', current.version)
    .where((eb) => eb.or([eb('role', '<>', 'rows'), eb('layer', '>', 0)]))
    .orderBy('layer')
    .orderBy('path')
    .execute()) as Array<FileRow & { dataset_id: string }>;
  const keys = files.filter((f) => f.role === 'keys' && f.dataset_id === dataset);
  if (!keys.some((f) => f.layer === 0)) return undefined;
  return {
    version: current.version,
    snapshot: current.snapshot,
    layer: Math.max(0, ...files.map((f) => f.layer)),
    keys,
    deletes: files.filter((f) => f.role === 'deletes'),
  };
}

/**
 * Rows, bytes and files of a version, and per column the sums of its files' statistics (nulls,
 * numeric bounds), summed by PostgreSQL: no process reads a large version's file list for them.
 * Rows are exact with delta layers (deletes files subtract the rows they hide); column statistics
 * are those of the row files, rows a later layer hides included (null counts are upper bounds).
 * `db` may be a transaction (the commit sums what it is inserting).
 */
export async function versionTotals(db: Catalog['db'], dataset: string, version: number): Promise<FileTotals> {
  // A deletes file holds exactly the keys of rows it hides (one visible row each): subtracted.
  const sums = await sql<{ files: number; rows: string; bytes: string }>`
    select count(*)::int as files,
      coalesce(sum(case role when 'rows' then row_count when 'deletes' then -row_count else 0 end), 0)::text as rows,
      coalesce(sum(byte_size), 0)::text as bytes
    from files where dataset_id = ${dataset} and version = ${version}`.execute(db);
  const columns = await sql<{ name: string; null_count: string; min: number | null; max: number | null }>`
    select s.key as name, sum(coalesce((s.value->>'nullCount')::bigint, 0))::text as null_count,
      min(case when jsonb_typeof(s.value->'min') = 'number' then (s.value->>'min')::float8 end) as min,
      max(case when jsonb_typeof(s.value->'max') = 'number' then (s.value->>'max')::float8 end) as max
    from files f, jsonb_each(f.column_stats) s
    where f.dataset_id = ${dataset} and f.version = ${version} and f.role = 'rows'
    group by s.key`.execute(db);
  const row = sums.rows[0] as { files: number; rows: string; bytes: string };
  return {
    files: row.files,
    rows: Number(row.rows),
    bytes: Number(row.bytes),
    columns: Object.fromEntries(
      columns.rows.map((c) => [c.name, { nullCount: Number(c.null_count), ...(c.min !== null ? { min: Number(c.min) } : {}), ...(c.max !== null ? { max: Number(c.max) } : {}) }]),
    ),
  };
}
