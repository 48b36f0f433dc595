import type { DataFile, FileTotals, PartitionFingerprint, RunEvent } from '@lake/contracts';
import { sql } from 'kysely';
import type { Catalog } from './catalog-connection.js';
import { versionTotals } from './reads.js';

/**
 * A version's files: a list, or `'run-output'` — the run's own output, read by PostgreSQL from the
 * files its transform recorded (`recordRunFiles`) and its extract's partitions, together with the
 * base version's files the run keeps. A large run writes thousands of files with column
 * statistics; with `'run-output'` the committing process never holds them.
 */
export type FileSource = DataFile[] | 'run-output';

export interface CommitRequest {
  runId: string;
  dataset: string;
  version: number;
  contractHash: string;
  schemaVersion: string;
  files: FileSource;
  /** The quarantine dataset (`<dataset>_quarantine`) commits in the same transaction, same version number. */
  quarantine?: { dataset: string; files: FileSource; byRule: Array<{ column: string; rule: string; rows: number }> };
  snapshot: Record<string, unknown>;
  sourceRows: number;
  /** The COMPLETE event, or a builder given the committed data files' totals. */
  lineage: RunEvent | ((totals: FileTotals) => RunEvent);
  /**
   * Fingerprints of every source partition at the snapshot, for the next incremental run. When
   * given, the version (data and quarantine) must hold exactly their rows or the commit is refused.
   */
  partitions?: PartitionFingerprint[] | 'run-output';
  /** The version an incremental run built on; the commit is refused if it is no longer current. */
  baseVersion?: number | null;
  mode?: 'full' | 'incremental';
  /**
   * Which of the base version's files a `'run-output'` version keeps besides the run's new ones:
   * those of partitions the run did not re-extract (or only appended to), all of them (a file
   * appended), or its data but not its quarantine (a replay).
   */
  reuse?: 'unchanged-partitions' | 'all' | 'data-only';
  /**
   * Rows the source snapshot holds, when no partition fingerprints say so (a delta run): the
   * version's rows (loaded + quarantined, delta layers applied) must equal it.
   */
  expectRows?: number;
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

type Trx = Catalog['db'];

/**
 * The commit protocol: ONE PostgreSQL transaction publishes a version — version row, file list
 * with row counts, sizes and column statistics, schema hash, lineage event, quarantine summary and
 * the new current pointer — so no reader ever sees a partial version. The dataset row lock makes
 * one writer per dataset; a run that already committed returns its version (idempotent).
 */
export async function commitVersion(catalog: Catalog, req: CommitRequest): Promise<CommitOutcome> {
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
    const db = trx as unknown as Trx;

    const totals = await insertVersion(db, req.dataset, req, req.files, { run: req.runId, kind: 'data', reuseFrom: req.dataset });
    let quarantined = 0;
    if (req.quarantine) {
      await trx
        .insertInto('datasets')
        .values({ id: req.quarantine.dataset, domain: req.dataset.split('.')[0] as string, name: req.quarantine.dataset.split('.')[1] as string, current_version: null, contract_hash: 'quarantine' })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const q = await insertVersion(db, req.quarantine.dataset, { ...req, runId: `${req.runId}-quarantine` }, req.quarantine.files, {
        run: req.runId,
        kind: 'quarantine',
        reuseFrom: req.quarantine.dataset,
        skipReuse: req.reuse === 'data-only',
      });
      quarantined = q.rows;
      await trx.updateTable('datasets').set({ current_version: req.version, updated_at: sql`now()` }).where('id', '=', req.quarantine.dataset).execute();
      if (req.quarantine.byRule.length > 0) {
        await trx
          .insertInto('quarantine_summaries')
          .values(req.quarantine.byRule.map((r) => ({ dataset_id: req.dataset, version: req.version, run_id: req.runId, column_name: r.column, rule: r.rule, row_count: r.rows })))
          .execute();
      }
    }
    if (req.partitions) {
      const source = req.partitions === 'run-output' ? stagedJson(req.runId, 'extract', '{partitions}') : sql`${JSON.stringify(req.partitions)}::jsonb`;
      const inserted = await sql<{ partitions: number; rows: string | null }>`
        with inserted as (
          insert into partitions (dataset_id, version, partition_key, partition, row_count, fingerprint)
          select ${req.dataset}, ${req.version}, p->>'key', p->'partition', (p->>'rows')::bigint, p->>'fingerprint'
          from jsonb_array_elements(coalesce(${source}, '[]'::jsonb)) p
          returning row_count)
        select count(*)::int as partitions, sum(row_count)::text as rows from inserted`.execute(trx);
      const summed = inserted.rows[0];
      // The whole version accounts for every source row of the snapshot, reused partitions included.
      if (summed && summed.partitions > 0 && Number(summed.rows) !== totals.rows + quarantined) {
        throw new CommitRefusedError(`version would hold ${totals.rows + quarantined} rows (loaded + quarantined) but the source snapshot has ${summed.rows}`);
      }
    }
    if (req.expectRows !== undefined && totals.rows + quarantined !== req.expectRows) {
      throw new CommitRefusedError(`version would hold ${totals.rows + quarantined} rows (loaded + quarantined) but the source snapshot has ${req.expectRows}`);
    }
    // Committed: the version's file list now holds what the run recorded.
    await trx.deleteFrom('run_files').where('run_id', '=', req.runId).execute();
    const lineage = typeof req.lineage === 'function' ? req.lineage(totals) : req.lineage;
    await trx
      .insertInto('lineage_events')
      .values({
        run_id: req.runId,
        dataset_id: req.dataset,
        job_name: lineage.job.name,
        event_type: lineage.eventType,
        event_time: lineage.eventTime,
        event: JSON.stringify(lineage) as never,
      })
      .execute();
    await trx.updateTable('datasets').set({ current_version: req.version, updated_at: sql`now()` }).where('id', '=', req.dataset).execute();
    await trx
      .updateTable('runs')
      .set({ status: 'committed', stage: 'catalog', loaded_rows: totals.rows, quarantined_rows: quarantined, source_rows: req.sourceRows, updated_at: sql`now()` })
      .where('id', '=', req.runId)
      .execute();
    return { version: req.version, rows: totals.rows, alreadyCommitted: false };
  });
}

/** A JSON value of a run's stage result, as PostgreSQL reads it (never through this process). */
function stagedJson(runId: string, stage: string, path: string) {
  return sql`(select result #> ${path}::text[] from run_stages where run_id = ${runId} and stage = ${stage} and status = 'done')`;
}

/**
 * Inserts the version row and its files — the given list, or the run's staged list plus the base
 * version files it keeps — and returns their totals, summed by PostgreSQL.
 */
async function insertVersion(
  db: Trx,
  dataset: string,
  req: CommitRequest,
  files: FileSource,
  from: { run: string; kind: 'data' | 'quarantine'; reuseFrom: string; skipReuse?: boolean },
): Promise<FileTotals> {
  await db
    .insertInto('versions')
    .values({
      dataset_id: dataset,
      version: req.version,
      run_id: req.runId,
      contract_hash: req.contractHash,
      schema_version: req.schemaVersion,
      row_count: 0,
      byte_size: 0,
      file_count: 0,
      snapshot: JSON.stringify(req.snapshot) as never,
      base_version: req.baseVersion ?? null,
      mode: req.mode ?? 'full',
    })
    .execute();
  const runId = from.run;
  if (files === 'run-output') {
    await sql`
      insert into files (dataset_id, version, bucket, path, partition, row_count, byte_size, column_stats, role, layer, mask_column)
      select ${dataset}, ${req.version}, bucket, path, partition, row_count, byte_size, column_stats, role, layer, mask_column
      from run_files where run_id = ${runId} and kind = ${from.kind}`.execute(db);
  } else {
    await sql`
      insert into files (dataset_id, version, bucket, path, partition, row_count, byte_size, column_stats, role, layer, mask_column)
      select ${dataset}, ${req.version}, f #>> '{object,bucket}', f #>> '{object,path}', f->'partition', (f->>'rows')::bigint, (f->>'bytes')::bigint, coalesce(f->'columnStats', '{}'::jsonb),
        coalesce(f->>'role', 'rows'), coalesce((f->>'layer')::int, 0), f->>'maskColumn'
      from jsonb_array_elements(${JSON.stringify(files)}::jsonb) f`.execute(db);
  }
  if (files === 'run-output' && req.baseVersion != null && req.mode === 'incremental' && req.reuse && !from.skipReuse) {
    await sql`
      insert into files (dataset_id, version, bucket, path, partition, row_count, byte_size, column_stats, role, layer, mask_column)
      select ${dataset}, ${req.version}, b.bucket, b.path, b.partition, b.row_count, b.byte_size, b.column_stats, b.role, b.layer, b.mask_column
      from files b
      where b.dataset_id = ${from.reuseFrom} and b.version = ${req.baseVersion}
        and (${req.reuse} <> 'unchanged-partitions' or b.partition in (${keptPartitions(runId, req.dataset, req.baseVersion)}))`.execute(db);
  }
  const totals = await versionTotals(db, dataset, req.version);
  await db
    .updateTable('versions')
    .set({ row_count: totals.rows, byte_size: totals.bytes, file_count: totals.files })
    .where('dataset_id', '=', dataset)
    .where('version', '=', req.version)
    .execute();
  return totals;
}

/**
 * The base version's partitions an incremental run keeps: present at the new snapshot and either
 * not re-extracted or only appended to (insert-only tables; the new files add to the old ones).
 */
function keptPartitions(runId: string, dataset: string, baseVersion: number) {
  const extracted = (key: string) => stagedJson(runId, 'extract', `{${key}}`);
  return sql`
    select p.partition from partitions p
    where p.dataset_id = ${dataset} and p.version = ${baseVersion}
      and p.partition_key in (select e->>'key' from jsonb_array_elements(coalesce(${extracted('partitions')}, '[]'::jsonb)) e)
      and (p.partition_key not in (select jsonb_array_elements_text(coalesce(${extracted('changed')}, '[]'::jsonb)))
           or p.partition_key in (select jsonb_array_elements_text(coalesce(${extracted('appended')}, '[]'::jsonb))))`;
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
