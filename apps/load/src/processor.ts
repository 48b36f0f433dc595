import { type Catalog, CommitRefusedError, commitVersion, failRun, getContract, stageResult, versionFiles, versionPartitions } from '@lake/catalog';
import {
  type DataFile,
  type ExtractResult,
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
    const transformed = await stageResult<TransformResult>(deps.catalog, job.runId, 'transform');
    const extracted = await stageResult<ExtractResult>(deps.catalog, job.runId, 'extract');
    if (!transformed || !extracted) throw new Error(`run ${job.runId} has no finished transform to load`);
    const contract = await getContract(deps.catalog, job.dataset, job.contractHash);
    const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });

    await verifyObjects(deps, [...transformed.files, ...transformed.quarantine.files]);
    if (transformed.inputRows !== transformed.loadedRows + transformed.quarantine.rows) {
      throw new PermanentError(`row accounting broken: ${transformed.inputRows} in, ${transformed.loadedRows} loaded + ${transformed.quarantine.rows} quarantined`);
    }
    const { files, quarantineFiles } = await withReusedPartitions(deps.catalog, job.dataset, extracted, transformed);
    // The whole version accounts for every source row of the snapshot, reused partitions included.
    const sourceTotal = extracted.partitions.reduce((n, p) => n + p.rows, 0);
    const versionTotal = [...files, ...quarantineFiles].reduce((n, f) => n + f.rows, 0);
    if (extracted.partitions.length > 0 && sourceTotal !== versionTotal) {
      throw new PermanentError(`version would hold ${versionTotal} rows (loaded + quarantined) but the source snapshot has ${sourceTotal}`);
    }
    const errorRate = transformed.inputRows === 0 ? 0 : transformed.quarantine.rows / transformed.inputRows;
    // Ingested files were gated one by one in the transform (a file above the rate is rejected
    // whole, its rows quarantined); the run's rate gates database extracts and replays.
    const gatedPerFile = isFileSource(contract) && extracted.baseFiles !== 'data-only';
    if (!gatedPerFile && errorRate > contract.quality.max_error_rate) {
      const message = `quality gate: ${(errorRate * 100).toFixed(2)}% of rows quarantined, above the contract's max_error_rate ${(contract.quality.max_error_rate * 100).toFixed(2)}%`;
      await failRun(deps.catalog, job.runId, 'load', message);
      throw new PermanentError(message);
    }

    const lineage = runEvent({
      type: 'COMPLETE',
      runId: job.runId,
      dataset: job.dataset,
      snapshot: extracted.snapshot,
      inputs: isFileSource(contract) ? fileDatasets(extracted.changed, deps.storeNamespace) : [sourceDataset(contract, deps.sourceNamespace)],
      outputs: [
        outputDataset(contract, deps.storeNamespace, deps.sourceNamespace, {
          version: job.version,
          files,
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
        files,
        quarantine: { dataset: `${job.dataset}_quarantine`, files: quarantineFiles, byRule: transformed.quarantineByRule },
        snapshot: { ...extracted.snapshot, organizations: extracted.organizations, changedPartitions: extracted.changed.length, partitions: extracted.partitions.length },
        partitions: extracted.partitions,
        baseVersion: extracted.baseVersion,
        mode: extracted.mode,
        sourceRows: extracted.sourceRows,
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

/**
 * An incremental version is the new files of the changed partitions plus the base version's files
 * of every partition that did not change or only gained rows — a plain list of Parquet files, no
 * merge step for readers.
 */
async function withReusedPartitions(catalog: Catalog, dataset: string, extracted: ExtractResult, transformed: TransformResult) {
  if (extracted.mode === 'full' || extracted.baseVersion === null) return { files: transformed.files, quarantineFiles: transformed.quarantine.files };
  if (extracted.baseFiles !== 'unchanged-partitions') {
    // Files append to the base version; a replay re-ran every quarantined row, so its quarantine is new.
    const all = async (ds: string) =>
      (await versionFiles(catalog, ds, extracted.baseVersion as number)).map((f) => ({
        object: { bucket: f.bucket, path: f.path },
        partition: f.partition,
        rows: Number(f.row_count),
        bytes: Number(f.byte_size),
        columnStats: f.column_stats as DataFile['columnStats'],
      }));
    return {
      files: [...(await all(dataset)), ...transformed.files],
      quarantineFiles: [...(extracted.baseFiles === 'all' ? await all(`${dataset}_quarantine`) : []), ...transformed.quarantine.files],
    };
  }
  const changed = new Set(extracted.changed);
  const appended = new Set(extracted.appended ?? []);
  const current = new Set(extracted.partitions.map((p) => p.key));
  const basePartitions = await versionPartitions(catalog, dataset, extracted.baseVersion);
  // Unchanged partitions keep their files; appended ones keep them too and gain the new files.
  const keep = (key: string) => current.has(key) && (!changed.has(key) || appended.has(key));
  const reused = new Set(basePartitions.filter((p) => keep(p.partition_key)).map((p) => JSON.stringify(p.partition)));
  const reuse = async (ds: string) =>
    (await versionFiles(catalog, ds, extracted.baseVersion as number))
      .filter((f) => reused.has(JSON.stringify(f.partition)))
      .map((f) => ({ object: { bucket: f.bucket, path: f.path }, partition: f.partition, rows: Number(f.row_count), bytes: Number(f.byte_size), columnStats: f.column_stats as DataFile['columnStats'] }));
  return {
    files: [...(await reuse(dataset)), ...transformed.files],
    quarantineFiles: [...(await reuse(`${dataset}_quarantine`)), ...transformed.quarantine.files],
  };
}

async function verifyObjects(deps: LoadDeps, files: DataFile[]): Promise<void> {
  for (const f of files) {
    const stat = await deps.store.stat(deps.layout.parseKey(`${f.object.bucket}/${f.object.path}`));
    if (!stat) throw new Error(`object ${f.object.bucket}/${f.object.path} is missing; the load will be retried`);
    if (stat.size !== f.bytes) throw new Error(`object ${f.object.bucket}/${f.object.path} has ${stat.size} bytes, expected ${f.bytes}`);
  }
}
