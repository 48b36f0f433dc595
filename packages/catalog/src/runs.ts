import { randomBytes } from 'node:crypto';
import type { Backfill, ContractChange, DataFile, DatasetContract, TransformResult, TriggerPayload } from '@lake/contracts';
import { PermanentError, bumpProblems, compareContracts, contractHash, contractToYaml, datasetId } from '@lake/contracts';
import { sql } from 'kysely';
import type { Catalog } from './catalog-connection.js';
import type { RunStatus } from './catalog-schema.js';

export interface RegisteredContract {
  hash: string;
  change: ContractChange;
}

/**
 * Registers a dataset's contract (schema history); the current version is untouched. A changed
 * contract is classified against the registered one: its schema_version bump must fit the change,
 * and a breaking (major) change is refused unless `allowBreaking` — it starts a new version line
 * that old readers cannot follow. Both kinds are recorded.
 */
export async function registerContract(catalog: Catalog, contract: DatasetContract, opts: { allowBreaking?: boolean } = {}): Promise<RegisteredContract> {
  const id = datasetId(contract);
  const hash = contractHash(contract);
  return catalog.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('datasets as d')
      .innerJoin('contracts as c', (j) => j.onRef('c.dataset_id', '=', 'd.id').onRef('c.hash', '=', 'd.contract_hash'))
      .select(['c.hash', 'c.contract'])
      .where('d.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (current?.hash === hash) return { hash, change: { kind: 'none', changes: [] } };
    const change: ContractChange = current ? compareContracts(current.contract as unknown as DatasetContract, contract) : { kind: 'none', changes: [] };
    if (current) {
      const problems = bumpProblems(current.contract as unknown as DatasetContract, contract, change);
      if (problems.length > 0) throw new PermanentError(`contract of ${id} refused: ${problems.join('; ')}`);
      if (change.kind === 'major' && !opts.allowBreaking) {
        throw new PermanentError(`contract of ${id} makes a breaking change (${change.changes.filter((c) => c.startsWith('major')).join('; ')}); run with --allow-breaking to start a new version line`);
      }
    }
    await trx
      .insertInto('datasets')
      .values({ id, domain: contract.dataset.domain, name: contract.dataset.name, current_version: null, contract_hash: hash })
      .onConflict((oc) => oc.column('id').doUpdateSet({ contract_hash: hash, updated_at: sql`now()` }))
      .execute();
    await trx
      .insertInto('contracts')
      .values({
        dataset_id: id,
        hash,
        schema_version: contract.dataset.schema_version,
        contract: JSON.stringify(contract) as never,
        yaml: contractToYaml(contract),
        previous_hash: current?.hash ?? null,
        change_kind: change.kind,
        changes: JSON.stringify(change.changes),
      })
      .onConflict((oc) => oc.columns(['dataset_id', 'hash']).doNothing())
      .execute();
    return { hash, change };
  });
}

/** The contract a run was started with (stages never re-read the YAML mid-run). */
export async function getContract(catalog: Catalog, dataset: string, hash: string): Promise<DatasetContract> {
  const row = await catalog.db
    .selectFrom('contracts')
    .select('contract')
    .where('dataset_id', '=', dataset)
    .where('hash', '=', hash)
    .executeTakeFirst();
  if (!row) throw new Error(`contract ${hash} of ${dataset} is not registered in the catalog`);
  return row.contract as unknown as DatasetContract;
}

export interface StartedRun {
  runId: string;
  version: number;
  contractHash: string;
  status: RunStatus;
  /** True when the trigger joined an existing run instead of starting one. */
  deduplicated: boolean;
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `run-${t}-${randomBytes(4).toString('hex')}`;
}

/**
 * Starts a run for a trigger, or returns the run it duplicates: the same trigger (kind + key)
 * always maps to one run, and a trigger arriving while the dataset already has a queued or
 * running run joins that run. Reserves the run's version number; a run that fails leaves a gap.
 */
export async function startRun(catalog: Catalog, trigger: TriggerPayload): Promise<StartedRun> {
  return catalog.db.transaction().execute(async (trx) => {
    const ds = await trx
      .selectFrom('datasets')
      .select(['id', 'contract_hash', 'next_version'])
      .where('id', '=', trigger.dataset)
      .forUpdate()
      .executeTakeFirst();
    if (!ds) throw new Error(`dataset ${trigger.dataset} is not registered; is its contract in schemas/?`);
    const existing = await trx
      .selectFrom('runs')
      .select(['id', 'version', 'contract_hash', 'status'])
      .where('dataset_id', '=', trigger.dataset)
      .where((eb) =>
        eb.or([
          eb.and([eb('trigger_kind', '=', trigger.trigger.kind), eb('trigger_key', '=', trigger.trigger.key)]),
          eb('status', 'in', ['queued', 'running']),
        ]),
      )
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (existing) {
      const sameTrigger = await trx
        .selectFrom('runs')
        .select('id')
        .where('id', '=', existing.id)
        .where('trigger_kind', '=', trigger.trigger.kind)
        .where('trigger_key', '=', trigger.trigger.key)
        .executeTakeFirst();
      // New files cannot join a run already reading other files: they wait for it to finish.
      if (!sameTrigger && (trigger.inputs !== undefined || trigger.replay)) {
        throw new DatasetBusyError(`${trigger.dataset} has run ${existing.id} in progress; the trigger is retried after it finishes`);
      }
      return { runId: existing.id, version: existing.version, contractHash: existing.contract_hash, status: existing.status, deduplicated: true };
    }
    const runId = newRunId();
    await trx
      .insertInto('runs')
      .values({
        id: runId,
        dataset_id: trigger.dataset,
        trigger_kind: trigger.trigger.kind,
        trigger_key: trigger.trigger.key,
        requested_by: trigger.requestedBy,
        full_refresh: trigger.full,
        backfill: trigger.backfill ? JSON.stringify(trigger.backfill) : null,
        status: 'queued',
        stage: 'extract',
        version: ds.next_version,
        contract_hash: ds.contract_hash,
        source_rows: null,
        loaded_rows: null,
        quarantined_rows: null,
        error: null,
        started_at: null,
        finished_at: null,
        inputs: trigger.inputs === undefined ? null : (JSON.stringify(trigger.inputs) as never),
        replay: trigger.replay ?? false,
      })
      .execute();
    await trx.updateTable('datasets').set({ next_version: ds.next_version + 1 }).where('id', '=', trigger.dataset).execute();
    return { runId, version: ds.next_version, contractHash: ds.contract_hash, status: 'queued', deduplicated: false };
  });
}

/** Another run of the dataset is reading files; retrying later succeeds (not a permanent error). */
export class DatasetBusyError extends Error {
  override name = 'DatasetBusyError';
}

export interface RunRow {
  id: string;
  dataset_id: string;
  status: RunStatus;
  stage: string | null;
  version: number;
  contract_hash: string;
  trigger_kind: string;
  trigger_key: string;
  full_refresh: boolean;
  backfill: Backfill | null;
  source_rows: string | null;
  loaded_rows: string | null;
  quarantined_rows: string | null;
  error: { stage: string; message: string; attempt?: number } | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  inputs: Array<{ bucket: string; path: string; etag?: string; size?: number }> | null;
  replay: boolean;
}

export async function getRun(catalog: Catalog, runId: string): Promise<RunRow | undefined> {
  return (await catalog.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst()) as RunRow | undefined;
}

export async function listRuns(catalog: Catalog, opts: { dataset?: string; limit?: number } = {}): Promise<RunRow[]> {
  let q = catalog.db.selectFrom('runs').selectAll().orderBy('created_at', 'desc').limit(opts.limit ?? 50);
  if (opts.dataset) q = q.where('dataset_id', '=', opts.dataset);
  return (await q.execute()) as RunRow[];
}

/**
 * Records that a stage started (or restarted: attempts counts every start) and returns how many
 * times it has. A restart drops what an earlier start shared while it ran (`shareStageProgress`).
 */
export async function beginStage(catalog: Catalog, runId: string, stage: string): Promise<number> {
  return catalog.db.transaction().execute(async (trx) => {
    const { attempts } = await trx
      .insertInto('run_stages')
      .values({ run_id: runId, stage, status: 'running', result: null, error: null, finished_at: null })
      .onConflict((oc) =>
        oc.columns(['run_id', 'stage']).doUpdateSet({ status: 'running', attempts: sql`run_stages.attempts + 1`, started_at: sql`now()`, error: null, result: null }),
      )
      .returning('attempts')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('runs')
      .set({ status: 'running', stage, started_at: sql`coalesce(started_at, now())`, updated_at: sql`now()` })
      .where('id', '=', runId)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    return attempts;
  });
}

/** Records a stage's result; a retried stage finds it and returns it instead of redoing work. */
export async function finishStage(catalog: Catalog, runId: string, stage: string, result: unknown): Promise<void> {
  await catalog.db
    .updateTable('run_stages')
    .set({ status: 'done', result: JSON.stringify(result) as never, finished_at: sql`now()` })
    .where('run_id', '=', runId)
    .where('stage', '=', stage)
    .execute();
}

/**
 * Shares what a running stage has finished so far (the extract: the staged files a transform may
 * already read), in place of its result until it finishes. Only while this start of the stage
 * runs: after a restart began (`beginStage`), a late write from the start before changes nothing.
 */
export async function shareStageProgress(catalog: Catalog, runId: string, stage: string, attempts: number, progress: unknown): Promise<void> {
  await catalog.db
    .updateTable('run_stages')
    .set({ result: JSON.stringify(progress) as never })
    .where('run_id', '=', runId)
    .where('stage', '=', stage)
    .where('status', '=', 'running')
    .where('attempts', '=', attempts)
    .execute();
}

/** Where a stage is: its status, its starts, and (while it runs) what it shared; undefined before it starts. */
export async function stageProgress<T>(
  catalog: Catalog,
  runId: string,
  stage: string,
): Promise<{ status: string; attempts: number; progress: T | null; error: string | null; runStatus: string } | undefined> {
  const row = await catalog.db
    .selectFrom('run_stages as s')
    .innerJoin('runs as r', 'r.id', 's.run_id')
    .select(['s.status', 's.attempts', 's.error', 'r.status as run_status', sql<unknown>`case when s.status = 'running' then s.result end`.as('progress')])
    .where('s.run_id', '=', runId)
    .where('s.stage', '=', stage)
    .executeTakeFirst();
  return row && { status: row.status, attempts: row.attempts, progress: (row.progress ?? null) as T | null, error: row.error, runStatus: row.run_status };
}

export async function stageResult<T>(catalog: Catalog, runId: string, stage: string): Promise<T | undefined> {
  const row = await catalog.db
    .selectFrom('run_stages')
    .select(['result', 'status'])
    .where('run_id', '=', runId)
    .where('stage', '=', stage)
    .executeTakeFirst();
  return row?.status === 'done' ? (row.result as T) : undefined;
}

/**
 * A stage's result with its long lists left out: each path in `lists` (e.g. `['partitions']`,
 * `['changed']`) comes back as an empty array, its length in `lengths` under the dotted path. A
 * large run's extract result lists thousands of partition fingerprints; the transform and the
 * load need its counts and scalars, and PostgreSQL reads the lists itself (`commitVersion`).
 */
export async function stageOutline<T>(catalog: Catalog, runId: string, stage: string, lists: string[][]): Promise<{ result: T; lengths: Record<string, number> } | undefined> {
  let outline = sql<unknown>`result`;
  for (const path of lists) outline = sql<unknown>`jsonb_set(${outline}, ${path}::text[], '[]'::jsonb)`;
  const row = await catalog.db
    .selectFrom('run_stages')
    .select([
      outline.as('outline'),
      sql<number[]>`array[${sql.join(lists.map((path) => sql`coalesce(jsonb_array_length(result #> ${path}::text[]), 0)`))}]::int[]`.as('lengths'),
    ])
    .where('run_id', '=', runId)
    .where('stage', '=', stage)
    .where('status', '=', 'done')
    .executeTakeFirst();
  if (!row) return undefined;
  return { result: row.outline as T, lengths: Object.fromEntries(lists.map((path, i) => [path.join('.'), row.lengths[i] ?? 0])) };
}

export type RunFileKind = 'data' | 'quarantine';

/**
 * Records files a run's transform wrote, as it writes them. A retried transform writes the same
 * keys again (names depend only on partition and index): the row is replaced.
 */
export async function recordRunFiles(catalog: Catalog, runId: string, kind: RunFileKind, files: DataFile[]): Promise<void> {
  if (files.length === 0) return;
  await catalog.db
    .insertInto('run_files')
    .values(
      files.map((f) => ({
        run_id: runId,
        kind,
        bucket: f.object.bucket,
        path: f.object.path,
        partition: JSON.stringify(f.partition) as never,
        row_count: f.rows,
        byte_size: f.bytes,
        column_stats: JSON.stringify(f.columnStats) as never,
        role: f.role ?? 'rows',
        layer: f.layer ?? 0,
        mask_column: f.maskColumn ?? null,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['run_id', 'kind', 'bucket', 'path']).doUpdateSet((eb) => ({
        role: eb.ref('excluded.role'),
        layer: eb.ref('excluded.layer'),
        mask_column: eb.ref('excluded.mask_column'),
        partition: eb.ref('excluded.partition'),
        row_count: eb.ref('excluded.row_count'),
        byte_size: eb.ref('excluded.byte_size'),
        column_stats: eb.ref('excluded.column_stats'),
      })),
    )
    .execute();
}

/** Forgets the files an earlier attempt of a run's transform recorded (a retry starts over). */
export async function clearRunFiles(catalog: Catalog, runId: string): Promise<void> {
  await catalog.db.deleteFrom('run_files').where('run_id', '=', runId).execute();
}

/** How many data and quarantine files a run's transform recorded. */
export async function runFileCounts(catalog: Catalog, runId: string): Promise<Record<RunFileKind, number>> {
  const rows = await catalog.db
    .selectFrom('run_files')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('kind')
    .execute();
  const counts: Record<RunFileKind, number> = { data: 0, quarantine: 0 };
  for (const r of rows) counts[r.kind] = Number(r.n);
  return counts;
}

/** Pages through the files a run's transform recorded (data, then quarantine), `pageSize` at a time. */
export async function forEachRunFile(catalog: Catalog, runId: string, pageSize: number, visit: (page: DataFile[]) => Promise<void>): Promise<void> {
  for (const kind of ['data', 'quarantine'] as const) {
    let after = '0';
    for (;;) {
      const rows = await catalog.db
        .selectFrom('run_files')
        .select(['ordinal', 'bucket', 'path', 'partition', 'row_count', 'byte_size', 'column_stats', 'role', 'layer', 'mask_column'])
        .where('run_id', '=', runId)
        .where('kind', '=', kind)
        .where('ordinal', '>', after)
        .orderBy('ordinal')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) break;
      after = (rows[rows.length - 1] as { ordinal: string }).ordinal;
      await visit(
        rows.map((r) => ({
          object: { bucket: r.bucket, path: r.path },
          partition: r.partition,
          rows: Number(r.row_count),
          bytes: Number(r.byte_size),
          columnStats: r.column_stats as DataFile['columnStats'],
          ...(r.role !== 'rows' ? { role: r.role } : {}),
          ...(r.layer !== 0 ? { layer: r.layer } : {}),
          ...(r.mask_column !== null ? { maskColumn: r.mask_column } : {}),
        })),
      );
    }
  }
}

/** The files a run's transform rejected whole (above the contract's error rate), from its stage result. */
export async function rejectedFiles(catalog: Catalog, runId: string): Promise<NonNullable<TransformResult['rejectedFiles']>> {
  const row = await catalog.db
    .selectFrom('run_stages')
    .select(sql<unknown>`result->'rejectedFiles'`.as('rejected'))
    .where('run_id', '=', runId)
    .where('stage', '=', 'transform')
    .where('status', '=', 'done')
    .executeTakeFirst();
  return Array.isArray(row?.rejected) ? (row.rejected as NonNullable<TransformResult['rejectedFiles']>) : [];
}

/** Records run counts as the stages learn them. */
export async function setRunCounts(
  catalog: Catalog,
  runId: string,
  counts: { source_rows?: number; loaded_rows?: number; quarantined_rows?: number },
): Promise<void> {
  await catalog.db.updateTable('runs').set({ ...counts, updated_at: sql`now()` }).where('id', '=', runId).execute();
}

/**
 * Marks a run failed for good (its reserved version becomes a gap). Never touches a committed
 * run, and keeps the first failure's cause: a parent stage failing because its child did would
 * otherwise replace the real reason.
 */
export async function failRun(catalog: Catalog, runId: string, stage: string, message: string, attempt?: number): Promise<void> {
  await catalog.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('run_stages')
      .set({ status: 'failed', error: message, finished_at: sql`now()` })
      .where('run_id', '=', runId)
      .where('stage', '=', stage)
      .execute();
    await trx
      .updateTable('runs')
      .set({ status: 'failed', stage, error: JSON.stringify({ stage, message, attempt }) as never, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', runId)
      .where('status', '!=', 'committed')
      // The first real failure names the cause; a parent stage failing because its child failed
      // must not overwrite it (nor be kept once the child's own reason arrives).
      .where((eb) => eb.or([eb('status', '!=', 'failed'), sql<boolean>`error->>'message' like 'child %'`, sql<boolean>`${!/^child .* failed/.test(message)}`]))
      .execute();
    // A failed run never commits: the files its transform wrote are gc's to find, not a list to keep.
    await trx.deleteFrom('run_files').where('run_id', '=', runId).execute();
  });
}

/** Records a stage error that will be retried (the run stays running). */
export async function noteStageError(catalog: Catalog, runId: string, stage: string, message: string): Promise<void> {
  await catalog.db.updateTable('run_stages').set({ error: message }).where('run_id', '=', runId).where('stage', '=', stage).execute();
}
