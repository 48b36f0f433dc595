import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Backfill } from '@lake/contracts';

/** Row types of the catalog tables, as kysely sees them. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills by default. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type BigCount = ColumnType<string, number | bigint | string, number | bigint | string>;

export type RunStatus = 'queued' | 'running' | 'committed' | 'failed';
export type StageStatus = 'running' | 'done' | 'failed';

export interface DatasetsTable {
  id: string;
  domain: string;
  name: string;
  current_version: number | null;
  next_version: Generated<number>;
  contract_hash: string;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ContractsTable {
  dataset_id: string;
  hash: string;
  schema_version: string;
  contract: JSONColumnType<Record<string, unknown>>;
  yaml: string;
  created_at: DefaultTimestamp;
  previous_hash: string | null;
  change_kind: ColumnType<string, string | undefined, string>;
  changes: ColumnType<string[], string | undefined, string>;
}

export interface RunsTable {
  id: string;
  dataset_id: string;
  trigger_kind: string;
  trigger_key: string;
  requested_by: string;
  full_refresh: Generated<boolean>;
  /** Partitions re-extracted whatever their fingerprints say (`lake backfill`). */
  backfill: ColumnType<Backfill | null, string | null | undefined, string | null>;
  status: RunStatus;
  stage: string | null;
  version: number;
  contract_hash: string;
  source_rows: BigCount | null;
  loaded_rows: BigCount | null;
  quarantined_rows: BigCount | null;
  error: JSONColumnType<{ stage: string; message: string; attempt?: number }> | null;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: DefaultTimestamp;
  /** Raw objects a file run reads. */
  inputs: JSONColumnType<Array<{ bucket: string; path: string; etag?: string; size?: number }>> | null;
  replay: Generated<boolean>;
}

export interface RunStagesTable {
  run_id: string;
  stage: string;
  status: StageStatus;
  attempts: Generated<number>;
  result: JSONColumnType<Record<string, unknown>> | null;
  error: string | null;
  started_at: DefaultTimestamp;
  finished_at: Timestamp | null;
}

export interface VersionsTable {
  dataset_id: string;
  version: number;
  run_id: string;
  contract_hash: string;
  schema_version: string;
  row_count: BigCount;
  byte_size: BigCount;
  file_count: number;
  snapshot: JSONColumnType<Record<string, unknown>>;
  committed_at: DefaultTimestamp;
  /** The version an incremental run started from (its unchanged partitions' files are reused). */
  base_version: number | null;
  mode: ColumnType<'full' | 'incremental', 'full' | 'incremental' | undefined, 'full' | 'incremental'>;
}

export interface PartitionsTable {
  dataset_id: string;
  version: number;
  /** The partition's identity as the source computes it (JSON array text of the values). */
  partition_key: string;
  partition: JSONColumnType<Array<[string, string | null]>>;
  row_count: BigCount;
  fingerprint: string;
}

/** A Parquet object with its partition, counts and column statistics. */
interface FileColumns {
  bucket: string;
  path: string;
  partition: JSONColumnType<Array<[string, string | null]>>;
  row_count: BigCount;
  byte_size: BigCount;
  column_stats: JSONColumnType<Record<string, unknown>>;
  /** `rows`, `deletes` (superseded keys) or `keys` (the version's key index); see migration 0007. */
  role: ColumnType<FileRole, FileRole | undefined, FileRole>;
  /** 0: written by a full run; N: the N-th delta layer on top of it. */
  layer: ColumnType<number, number | undefined, number>;
  /** Deletes files: the rows' column their `key` matches (`row_key.<key>`: a quarantine's JSON key). */
  mask_column: ColumnType<string | null, string | null | undefined, string | null>;
}

export type FileRole = 'rows' | 'deletes' | 'keys';

export interface FilesTable extends FileColumns {
  dataset_id: string;
  version: number;
}

/** A file a run's transform wrote, recorded as it was written (committed by the load). */
export interface RunFilesTable extends FileColumns {
  run_id: string;
  kind: 'data' | 'quarantine';
  ordinal: Generated<string>;
}

export interface LineageEventsTable {
  id: Generated<string>;
  run_id: string;
  dataset_id: string;
  job_name: string;
  event_type: string;
  event_time: Timestamp;
  event: JSONColumnType<Record<string, unknown>>;
}

export interface QuarantineSummariesTable {
  dataset_id: string;
  version: number;
  run_id: string;
  column_name: string;
  rule: string;
  row_count: BigCount;
}

export interface CatalogDatabase {
  datasets: DatasetsTable;
  contracts: ContractsTable;
  runs: RunsTable;
  run_stages: RunStagesTable;
  versions: VersionsTable;
  files: FilesTable;
  lineage_events: LineageEventsTable;
  quarantine_summaries: QuarantineSummariesTable;
  partitions: PartitionsTable;
  run_files: RunFilesTable;
}
