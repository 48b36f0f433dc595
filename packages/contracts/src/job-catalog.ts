import { z } from 'zod';

/**
 * The job catalog: every queue, its payload and result schemas, attempts and timeout. Apps meet
 * only through these payloads; handlers derive their types from here. Payloads carry references
 * (run id, contract hash, object keys, row counts), never rows.
 */

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,120}$/, 'lowercase [a-z0-9_-] id');
const datasetRef = z.string().regex(/^[a-z]+\.[a-z][a-z0-9_]*$/, '<domain>.<dataset>');
const objectRef = z.object({ bucket: z.string(), path: z.string() });
/** Partition values as `[column, value]` pairs in partition_by order; null is the null partition. */
const partition = z.array(z.tuple([z.string(), z.string().nullable()]));
const stat = z.object({ nullCount: z.number(), min: z.unknown().optional(), max: z.unknown().optional() });

export const stagedFile = z.object({
  object: objectRef,
  partition,
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type StagedFile = z.infer<typeof stagedFile>;

export const dataFile = stagedFile.extend({
  columnStats: z.record(z.string(), stat),
  /** `rows` (default), `deletes` (keys a delta layer supersedes) or `keys` (a version's key index). */
  role: z.enum(['rows', 'deletes', 'keys']).optional(),
  /** The delta layer the file belongs to; 0 (default) for files a full or partition run wrote. */
  layer: z.number().int().nonnegative().optional(),
  /** Deletes files: the column of the rows their `key` matches (`row_key.<key>` in quarantine). */
  maskColumn: z.string().optional(),
});
export type DataFile = z.infer<typeof dataFile>;

/** A version's files summed up: counts, and per column the nulls and numeric bounds of their statistics. */
export interface FileTotals {
  files: number;
  rows: number;
  bytes: number;
  columns: Record<string, { nullCount: number; min?: number; max?: number }>;
}

/**
 * A backfill: partitions a run re-extracts whatever their fingerprints say. `from`/`to` bound one
 * partition field (inclusive; integers compare as numbers, text as text, so `2024-01` … `2024-03`);
 * `partitions` lists exact partitions as `{ field: value }` (null for the null partition).
 * Both given → a partition must match both.
 */
export const backfill = z
  .object({
    field: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).optional(),
    from: z.string().max(100).optional(),
    to: z.string().max(100).optional(),
    partitions: z.array(z.record(z.string(), z.string().nullable())).max(10_000).optional(),
  })
  .refine((b) => (b.from === undefined && b.to === undefined) || b.field !== undefined, 'from/to need the partition field they bound')
  .refine((b) => b.from !== undefined || b.to !== undefined || (b.partitions?.length ?? 0) > 0, 'a backfill names a range or partitions');
export type Backfill = z.infer<typeof backfill>;
/** A file in the raw tier a run ingests; the etag pins the exact bytes the trigger saw. */
export const rawObjectRef = objectRef.extend({ etag: z.string().max(200).optional(), size: z.number().int().nonnegative().optional() });
export type RawObjectRef = z.infer<typeof rawObjectRef>;

export const triggerPayload = z.object({
  dataset: datasetRef,
  trigger: z.object({
    kind: z.enum(['manual', 'schedule', 'event', 'backfill', 'replay']),
    /** Same kind + key → same run. */
    key: z.string().min(1).max(200),
  }),
  requestedBy: z.string().max(200).default('cli'),
  full: z.boolean().default(false),
  /** Accept a breaking (major) contract change: it starts a new version line. */
  allowBreaking: z.boolean().default(false),
  backfill: backfill.optional(),
  /** File sources: the raw objects this run ingests (one version for all of them). */
  inputs: z.array(rawObjectRef).max(10_000).optional(),
  /** File sources: re-run the current version's quarantined rows instead of new files. */
  replay: z.boolean().optional(),
});
export type TriggerPayload = z.infer<typeof triggerPayload>;
export const triggerResult = z.object({ runId: id, version: z.number().int(), deduplicated: z.boolean() });
export type TriggerResult = z.infer<typeof triggerResult>;

/** Common to every stage job of one run. */
const runRef = z.object({
  runId: id,
  dataset: datasetRef,
  contractHash: z.string(),
  version: z.number().int().positive(),
});
export type RunRef = z.infer<typeof runRef>;

export const extractPayload = runRef;
/** One partition of the source as the extract saw it in its snapshot. */
export const partitionFingerprint = z.object({
  /** Identity computed by the source (JSON array text of the partition values as text). */
  key: z.string(),
  partition,
  rows: z.number().int().nonnegative(),
  /** Changes whenever any row of the partition (or a looked-up row it joins) is inserted, updated or deleted. */
  fingerprint: z.string(),
});
export type PartitionFingerprint = z.infer<typeof partitionFingerprint>;

/** Wall seconds per phase of a stage (`{ fingerprint: 2.8, stage: 5.1, upload: 0.9 }`): where its time went. */
const phaseSeconds = z.record(z.string(), z.number().nonnegative());

export const extractResult = z.object({
  files: z.array(stagedFile),
  /** Rows staged by this run (the changed partitions' rows when incremental). */
  sourceRows: z.number().int().nonnegative(),
  snapshot: z.object({
    xmin: z.string(),
    takenAt: z.string(),
    /** `pg_current_snapshot()` as text: which transactions this version saw (insert-only runs compare against it). */
    txids: z.string().optional(),
    /** Row-level deltas: per organization scanned (`all` without one), the rows of each joined lookup table. */
    joinRows: z.record(z.string(), z.array(z.number().int().nonnegative())).optional(),
  }),
  organizations: z.array(z.number().int()),
  mode: z.enum(['full', 'incremental']),
  /** The committed version whose unchanged partitions this run reuses (incremental only). */
  baseVersion: z.number().int().nullable(),
  /** Every partition present in the source at the snapshot. */
  partitions: z.array(partitionFingerprint),
  /** Keys of the partitions re-extracted (all of them when full). */
  changed: z.array(z.string()),
  /**
   * Changed partitions whose staged rows add to the base version's files (insert-only tables
   * whose partition only gained rows): the version lists the base files and the new ones.
   */
  appended: z.array(z.string()).default([]),
  phaseSeconds: phaseSeconds.optional(),
  /**
   * Which of the base version's files the new version keeps: those of unchanged partitions
   * (PostgreSQL incremental), all of them (a file appended), or its data but not its quarantine
   * (a replay, whose quarantined rows were all re-run).
   */
  baseFiles: z.enum(['unchanged-partitions', 'all', 'data-only']).default('unchanged-partitions'),
  /**
   * A row-level delta (contracts with `incremental: rows`): `files` hold only the rows the base
   * version did not see, and the version adds them as layer `layer`, with the base's rows whose
   * keys `superseded` lists (a staging Parquet file of `key` BIGINT, `q` BOOLEAN: the row was
   * quarantined) hidden.
   */
  delta: z
    .object({
      layer: z.number().int().positive(),
      superseded: stagedFile,
      /** Superseded keys of loaded rows and of quarantined rows. */
      supersededLoaded: z.number().int().nonnegative(),
      supersededQuarantined: z.number().int().nonnegative(),
      /** Rows of the source at the snapshot: the base's, less the superseded, plus the staged. */
      snapshotRows: z.number().int().nonnegative(),
      /** How the keys were compared with the base's: a bit per key in JavaScript, or DuckDB's anti-joins. */
      compared: z.enum(['bits', 'anti-joins']).optional(),
    })
    .optional(),
  /** Unit conversions applied while reading files, recorded in lineage. */
  conversions: z
    .array(z.object({ file: z.string(), column: z.string(), field: z.string(), from: z.string(), to: z.string(), factor: z.number(), offset: z.number().optional() }))
    .default([]),
});
export type ExtractResult = z.infer<typeof extractResult>;

/**
 * What a running extract shares while it stages a run that is not a delta from PostgreSQL: the
 * staged files it has finished (every file of the organizations done so far), in the order its
 * result will list them. The transform starts on them while the extract goes on.
 */
export const extractProgress = z.object({ files: z.array(stagedFile), sourceRows: z.number().int().nonnegative() });
export type ExtractProgress = z.infer<typeof extractProgress>;

export const transformPayload = runRef;
const fileCount = z.number().int().nonnegative();
export const transformResult = z.object({
  /**
   * How many data files the transform wrote (with row-level deltas, its key index and deletes
   * files too). The files themselves (key, partition, rows, bytes,
   * column statistics) are recorded in the catalog as they are written (`run_files`): a large
   * run writes thousands, which no payload or process should hold.
   */
  files: fileCount,
  quarantine: z.object({ files: fileCount, rows: z.number().int().nonnegative() }),
  inputRows: z.number().int().nonnegative(),
  loadedRows: z.number().int().nonnegative(),
  quarantineByRule: z.array(z.object({ column: z.string(), rule: z.string(), rows: z.number().int() })),
  /**
   * Files rejected whole (file sources): more of their rows broke the contract than its
   * `max_error_rate` allows, so all their rows are in quarantine.
   */
  rejectedFiles: z.array(z.object({ file: z.string(), rows: z.number().int().nonnegative(), rejected: z.number().int().nonnegative(), rate: z.number() })).optional(),
  phaseSeconds: phaseSeconds.optional(),
});
export type TransformResult = z.infer<typeof transformResult>;

export const loadPayload = runRef;
export const loadResult = z.object({ committed: z.boolean(), version: z.number().int(), rows: z.number().int(), alreadyCommitted: z.boolean() });
export type LoadResult = z.infer<typeof loadResult>;

export const catalogPayload = runRef;
export const catalogResult = z.object({ objects: z.array(objectRef) });
export type CatalogResult = z.infer<typeof catalogResult>;

export const datasetCommittedEvent = z.object({
  dataset: datasetRef,
  version: z.number().int().positive(),
  runId: id,
  rows: z.number().int().nonnegative(),
  committedAt: z.string(),
});
export type DatasetCommittedEvent = z.infer<typeof datasetCommittedEvent>;

export interface QueueDefinition<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** Queue name (BullMQ forbids `:` in names and job ids). */
  name: string;
  payload: P;
  result: R;
  /** Attempts before the job fails for good. */
  attempts: number;
  /** Milliseconds a single attempt may take before it is failed. */
  timeoutMs: number;
  /**
   * What BullMQ keeps of a result (its job's return value, shown in Bull Board); the whole result
   * is the handler's to record (stages keep theirs in the catalog's `run_stages`).
   * @defaultValue the whole result
   */
  kept?: (result: z.infer<R>) => unknown;
}

/**
 * A result with every list longer than `max` replaced by its length: a run over 5M rows lists
 * ~3,200 files with their statistics and as many partition fingerprints, megabytes of JSON that
 * the worker built again for BullMQ and Redis stored a second time, for a number Bull Board shows.
 */
export function countingLongLists(value: unknown, max = 20): unknown {
  if (Array.isArray(value)) return value.length > max ? { count: value.length } : value.map((v) => countingLongLists(v, max));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, countingLongLists(v, max)]));
}

function queue<P extends z.ZodType, R extends z.ZodType>(def: QueueDefinition<P, R>): QueueDefinition<P, R> {
  return def;
}

export const jobCatalog = {
  scheduler: queue({ name: 'lake-scheduler', payload: triggerPayload, result: triggerResult, attempts: 5, timeoutMs: 60_000 }),
  extract: queue({ name: 'lake-extract', payload: extractPayload, result: extractResult, attempts: 5, timeoutMs: 3_600_000, kept: countingLongLists }),
  transform: queue({ name: 'lake-transform', payload: transformPayload, result: transformResult, attempts: 5, timeoutMs: 3_600_000 }),
  load: queue({ name: 'lake-load', payload: loadPayload, result: loadResult, attempts: 8, timeoutMs: 600_000 }),
  catalog: queue({ name: 'lake-catalog', payload: catalogPayload, result: catalogResult, attempts: 8, timeoutMs: 600_000 }),
  events: queue({ name: 'lake-events', payload: datasetCommittedEvent, result: z.unknown(), attempts: 3, timeoutMs: 60_000 }),
} as const;

export type JobCatalog = typeof jobCatalog;
export type QueueKey = keyof JobCatalog;
export type PayloadOf<K extends QueueKey> = z.infer<JobCatalog[K]['payload']>;
export type ResultOf<K extends QueueKey> = z.infer<JobCatalog[K]['result']>;

/** The stages of a run in order; each is one queue and one app. */
export const STAGES = ['extract', 'transform', 'load', 'catalog'] as const;
export type Stage = (typeof STAGES)[number];

/** Deterministic job id of a run's stage: duplicates of the same stage collapse into one job. */
export function stageJobId(runId: string, stage: Stage): string {
  return `${runId}-${stage}`;
}
