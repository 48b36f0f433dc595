import { type Catalog, CommitRefusedError, commitVersion, failRun, forEachRunFile, getContract, getRun, runFileCounts, stageOutline, stageResult } from '@lake/catalog';
import {
  type DataFile,
  type ExtractResult,
  type FileTotals,
  type LoadResult,
  type PayloadOf,
  PermanentError,
  type TransformResult,
  isFileSource,
} from '@lake/contracts';
import { fileDatasets, outputDataset, runEvent, sourceDataset } from '@lake/lineage';
import type { Logger } from '@lake/logging';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';

export interface LoadDeps {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  /** Names the source in lineage, e.g. `postgres://db-host:5432/bijmantra` (no credentials). */
  sourceNamespace: string;
  /** Names the store in lineage, e.g. `s3://minio:9000` or `file:///data/lake`. */
  storeNamespace: string;
  log: Logger;
}

/**
 * Load: checks that every file the transform reported is in the store with its size, applies the
 * contract's quality gate, then publishes the version with the commit protocol — one PostgreSQL
 * transaction. A retried or duplicated load finds the version already committed and returns it.
 */
export function createLoadProcessor(deps: LoadDeps) {
  return async (job: PayloadOf<'load'>, ctx: StageContext): Promise<LoadResult> => {
    // A load retried after its commit (the worker died before acknowledging the job) finds the
    // version; the run's recorded files are the version's files by now.
    const run = await getRun(deps.catalog, job.runId);
    if (run?.status === 'committed') return { committed: true, version: run.version, rows: Number(run.loaded_rows ?? 0), alreadyCommitted: true };
    // Counts and outlines only: the file and partition lists stay in PostgreSQL, which commits
    // them itself; this process pages through the files to check the store.
    const contract = await getContract(deps.catalog, job.dataset, job.contractHash);
    const transformed = await stageResult<TransformResult>(deps.catalog, job.runId, 'transform');
    // A file run keeps its list of raw files (few, and the lineage names each as an input).
    const lists = isFileSource(contract) ? [['files'], ['partitions'], ['appended']] : [['files'], ['partitions'], ['changed'], ['appended']];
    const extract = await stageOutline<ExtractResult>(deps.catalog, job.runId, 'extract', lists);
    if (!transformed || !extract) throw new Error(`run ${job.runId} has no finished transform to load`);
    if (typeof transformed.files !== 'number') {
      throw new PermanentError(`run ${job.runId} was transformed by an earlier release, which did not record its files in the catalog; run the dataset again`);
    }
    const extracted = extract.result;
    const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });

    const recorded = await runFileCounts(deps.catalog, job.runId);
    if (recorded.data !== transformed.files || recorded.quarantine !== transformed.quarantine.files) {
      throw new Error(
        `run ${job.runId}: the transform reported ${transformed.files} data and ${transformed.quarantine.files} quarantine files but recorded ${recorded.data} and ${recorded.quarantine}; the load will be retried`,
      );
    }
    const listed = recorded.data + recorded.quarantine;
    await verifyObjects(deps, job.runId, (files) => ctx.progress({ stage: 'load', files, of: listed }));
    if (transformed.inputRows !== transformed.loadedRows + transformed.quarantine.rows) {
      throw new PermanentError(`row accounting broken: ${transformed.inputRows} in, ${transformed.loadedRows} loaded + ${transformed.quarantine.rows} quarantined`);
    }
    let errorRate = transformed.inputRows === 0 ? 0 : transformed.quarantine.rows / transformed.inputRows;
    if (extracted.delta && extracted.baseVersion !== null) {
      // A delta stages only changed rows, a sample that says little of the dataset: the gate is
      // the new version's rate (the base's quarantine, less what was superseded, plus the new).
      const base = await deps.catalog.db
        .selectFrom('versions')
        .select('row_count')
        .where('dataset_id', '=', `${job.dataset}_quarantine`)
        .where('version', '=', extracted.baseVersion)
        .executeTakeFirst();
      const quarantined = Number(base?.row_count ?? 0) - extracted.delta.supersededQuarantined + transformed.quarantine.rows;
      errorRate = extracted.delta.snapshotRows === 0 ? 0 : quarantined / extracted.delta.snapshotRows;
    }
    // Ingested files were gated one by one in the transform (a file above the rate is rejected
    // whole, its rows quarantined); the run's rate gates database extracts and replays.
    const gatedPerFile = isFileSource(contract) && extracted.baseFiles !== 'data-only';
    if (!gatedPerFile && errorRate > contract.quality.max_error_rate) {
      const message = `quality gate: ${(errorRate * 100).toFixed(2)}% of rows quarantined, above the contract's max_error_rate ${(contract.quality.max_error_rate * 100).toFixed(2)}%`;
      await failRun(deps.catalog, job.runId, 'load', message);
      throw new PermanentError(message);
    }

    // A file run's inputs are its files; a database run's is its table.
    const inputs = isFileSource(contract) ? fileDatasets(extracted.changed, deps.storeNamespace) : [sourceDataset(contract, deps.sourceNamespace)];
    const lineage = (totals: FileTotals) =>
      runEvent({
        type: 'COMPLETE',
        runId: job.runId,
        dataset: job.dataset,
        snapshot: extracted.snapshot,
        inputs,
        outputs: [
          outputDataset(contract, deps.storeNamespace, deps.sourceNamespace, {
            version: job.version,
            totals,
            quarantine: { rows: transformed.quarantine.rows, byRule: transformed.quarantineByRule },
            conversions: extracted.conversions,
          }),
        ],
      });
    try {
      const outcome = await commitVersion(deps.catalog, {
        runId: job.runId,
        dataset: job.dataset,
        version: job.version,
        contractHash: job.contractHash,
        schemaVersion: contract.dataset.schema_version,
        files: 'run-output',
        quarantine: { dataset: `${job.dataset}_quarantine`, files: 'run-output', byRule: transformed.quarantineByRule },
        snapshot: { ...extracted.snapshot, organizations: extracted.organizations, changedPartitions: extract.lengths.changed ?? extracted.changed.length, partitions: extract.lengths.partitions },
        partitions: 'run-output',
        baseVersion: extracted.baseVersion,
        mode: extracted.mode,
        reuse: extracted.baseFiles,
        sourceRows: extracted.sourceRows,
        ...(extracted.delta ? { expectRows: extracted.delta.snapshotRows } : {}),
        lineage,
      });
      log.info({ version: outcome.version, rows: outcome.rows, alreadyCommitted: outcome.alreadyCommitted }, 'committed');
      await ctx.failpoint('after-commit');
      return { committed: true, version: outcome.version, rows: outcome.rows, alreadyCommitted: outcome.alreadyCommitted };
    } catch (err) {
      if (err instanceof CommitRefusedError) throw new PermanentError(err.message);
      throw err;
    }
  };
}

/** Stats every file the transform recorded (a page at a time, a few at once), reporting progress. */
async function verifyObjects(deps: LoadDeps, runId: string, progress: (checked: number) => Promise<void>): Promise<void> {
  let checked = 0;
  await forEachRunFile(deps.catalog, runId, 256, async (page) => {
    for (let i = 0; i < page.length; i += STAT_CONCURRENCY) {
      await Promise.all(page.slice(i, i + STAT_CONCURRENCY).map((f) => verifyObject(deps, f)));
    }
    checked += page.length;
    await progress(checked);
  });
}

const STAT_CONCURRENCY = 8;

async function verifyObject(deps: LoadDeps, f: DataFile): Promise<void> {
  const stat = await deps.store.stat(deps.layout.parseKey(`${f.object.bucket}/${f.object.path}`));
  if (!stat) throw new Error(`object ${f.object.bucket}/${f.object.path} is missing; the load will be retried`);
  if (stat.size !== f.bytes) throw new Error(`object ${f.object.bucket}/${f.object.path} has ${stat.size} bytes, expected ${f.bytes}`);
}
