import type { DataFile, PartitionFingerprint, RunEvent } from '@lake/contracts';
import { sql } from 'kysely';
import type { Catalog } from './catalog-connection.js';

export interface CommitRequest {
  runId: string;
  dataset: string;
  version: number;
  contractHash: string;
  schemaVersion: string;
  files: DataFile[];
  /** The quarantine dataset (`<dataset>_quarantine`) commits in the same transaction, same version number. */
  quarantine?: { dataset: string; files: DataFile[]; byRule: Array<{ column: string; rule: string; rows: number }> };
  snapshot: Record<string, unknown>;
  sourceRows: number;
  lineage: RunEvent;
  /** Fingerprints of every source partition at the snapshot, for the next incremental run. */
  partitions?: PartitionFingerprint[];
  /** The version an incremental run built on; the commit is refused if it is no longer current. */
  baseVersion?: number | null;
  mode?: 'full' | 'incremental';
}

export interface CommitOutcome {
  version: number;
  rows: number;
  /** True when this run had already committed (a retried or duplicated load). */
  alreadyCommitted: boolean;
}

/** The run is not in a state that may commit; retrying will not help. */
export class CommitRefusedError extends Error {
  override name = 'CommitRefusedError';
}

/**
 * The commit protocol: ONE PostgreSQL transaction publishes a version — version row, file list
 * with row counts, sizes and column statistics, schema hash, lineage event, quarantine summary and
 * the new current pointer — so no reader ever sees a partial version. The dataset row lock makes
 * one writer per dataset; a run that already committed returns its version (idempotent).
 */
export async function commitVersion(catalog: Catalog, req: CommitRequest): Promise<CommitOutcome> {
  const rows = req.files.reduce((n, f) => n + f.rows, 0);
  return catalog.db.transaction().setIsolationLevel('read committed').execute(async (trx) => {
    const ds = await trx
      .selectFrom('datasets')
      .select(['current_version'])
      .where('id', '=', req.dataset)
      .forUpdate()
      .executeTakeFirst();
    if (!ds) throw new CommitRefusedError(`dataset ${req.dataset} is not registered`);
    const done = await trx.selectFrom('versions').select(['version', 'row_count']).where('run_id', '=', req.runId).executeTakeFirst();
    if (done) return { version: done.version, rows: Number(done.row_count), alreadyCommitted: true };
    const run = await trx.selectFrom('runs').select(['status', 'version']).where('id', '=', req.runId).forUpdate().executeTakeFirst();
    if (!run) throw new CommitRefusedError(`run ${req.runId} does not exist`);
    if (run.status === 'failed') throw new CommitRefusedError(`run ${req.runId} has failed and cannot commit`);
    if (run.version !== req.version) throw new CommitRefusedError(`run ${req.runId} reserved v${run.version}, not v${req.version}`);
    const latest = await trx
      .selectFrom('versions')
      .select((eb) => eb.fn.max('version').as('max'))
      .where('dataset_id', '=', req.dataset)
      .executeTakeFirst();
    if (latest?.max != null && latest.max >= req.version) {
      throw new CommitRefusedError(`v${req.version} of ${req.dataset} is not above the latest committed v${latest.max}`);
    }
    if (req.baseVersion != null && ds.current_version !== req.baseVersion) {
      throw new CommitRefusedError(`incremental run built on v${req.baseVersion} but ${req.dataset} is now at v${ds.current_version}; run again`);
    }

    await insertVersion(trx as unknown as Catalog['db'], req.dataset, req, req.files);
    const parts = req.partitions ?? [];
    for (let i = 0; i < parts.length; i += 1000) {
      await trx
        .insertInto('partitions')
        .values(
          parts.slice(i, i + 1000).map((p) => ({
            dataset_id: req.dataset,
            version: req.version,
            partition_key: p.key,
            partition: JSON.stringify(p.partition) as never,
            row_count: p.rows,
            fingerprint: p.fingerprint,
          })),
        )
        .execute();
    }
    if (req.quarantine) {
      await trx
        .insertInto('datasets')
        .values({ id: req.quarantine.dataset, domain: req.dataset.split('.')[0] as string, name: req.quarantine.dataset.split('.')[1] as string, current_version: null, contract_hash: 'quarantine' })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await insertVersion(trx as unknown as Catalog['db'], req.quarantine.dataset, { ...req, runId: `${req.runId}-quarantine` }, req.quarantine.files);
      await trx.updateTable('datasets').set({ current_version: req.version, updated_at: sql`now()` }).where('id', '=', req.quarantine.dataset).execute();
      if (req.quarantine.byRule.length > 0) {
        await trx
          .insertInto('quarantine_summaries')
          .values(req.quarantine.byRule.map((r) => ({ dataset_id: req.dataset, version: req.version, run_id: req.runId, column_name: r.column, rule: r.rule, row_count: r.rows })))
          .execute();
      }
    }
    await trx
      .insertInto('lineage_events')
      .values({
        run_id: req.runId,
        dataset_id: req.dataset,
        job_name: req.lineage.job.name,
        event_type: req.lineage.eventType,
        event_time: req.lineage.eventTime,
        event: JSON.stringify(req.lineage) as never,
      })
      .execute();
    await trx.updateTable('datasets').set({ current_version: req.version, updated_at: sql`now()` }).where('id', '=', req.dataset).execute();
    const quarantined = req.quarantine?.files.reduce((n, f) => n + f.rows, 0) ?? 0;
    await trx
      .updateTable('runs')
      .set({ status: 'committed', stage: 'catalog', loaded_rows: rows, quarantined_rows: quarantined, source_rows: req.sourceRows, updated_at: sql`now()` })
      .where('id', '=', req.runId)
      .execute();
    return { version: req.version, rows, alreadyCommitted: false };
  });
}

async function insertVersion(db: Catalog['db'], dataset: string, req: CommitRequest, files: DataFile[]): Promise<void> {
  await db
    .insertInto('versions')
    .values({
      dataset_id: dataset,
      version: req.version,
      run_id: req.runId,
      contract_hash: req.contractHash,
      schema_version: req.schemaVersion,
      row_count: files.reduce((n, f) => n + f.rows, 0),
      byte_size: files.reduce((n, f) => n + f.bytes, 0),
      file_count: files.length,
      snapshot: JSON.stringify(req.snapshot) as never,
      base_version: req.baseVersion ?? null,
      mode: req.mode ?? 'full',
    })
    .execute();
  // Chunked: a version may list thousands of partition files.
  for (let i = 0; i < files.length; i += 500) {
    await db
      .insertInto('files')
      .values(
        files.slice(i, i + 500).map((f) => ({
          dataset_id: dataset,
          version: req.version,
          bucket: f.object.bucket,
          path: f.object.path,
          partition: JSON.stringify(f.partition) as never,
          row_count: f.rows,
          byte_size: f.bytes,
          column_stats: JSON.stringify(f.columnStats) as never,
        })),
      )
      .execute();
  }
}

/** Marks the run finished once the catalog stage has written its metadata. */
export async function completeRun(catalog: Catalog, runId: string): Promise<void> {
  await catalog.db.updateTable('runs').set({ finished_at: sql`coalesce(finished_at, now())`, updated_at: sql`now()` }).where('id', '=', runId).execute();
}

/** Appends a lineage event outside a commit (START/FAIL of runs and stages). */
export async function recordLineageEvent(catalog: Catalog, dataset: string, event: RunEvent): Promise<void> {
  await catalog.db
    .insertInto('lineage_events')
    .values({
      run_id: event.run.runId,
      dataset_id: dataset,
      job_name: event.job.name,
      event_type: event.eventType,
      event_time: event.eventTime,
      event: JSON.stringify(event) as never,
    })
    .execute();
}
