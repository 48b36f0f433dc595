import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { beginStage, type Catalog, finishStage, getContract, setRunCounts, stageResult } from '@lake/catalog';
import {
  type ColumnBatch,
  type ColumnSpec,
  type ExtractResult,
  type PayloadOf,
  type TransformResult,
  contractToYaml,
  outputColumns,
  parseDatasetId,
} from '@lake/contracts';
import type { Logger } from '@lake/logging';
import { fileSource, readKeyValueMetadata, readParquetBatches } from '@lake/parquet';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import { type PartitionPairs, splitByPartition } from './partition-router.js';
import { PartitionedWriter } from './partitioned-writer.js';
import { QUARANTINE_COLUMNS, quarantineBatch } from './quarantine.js';
import { RowValidator } from './row-validator.js';

export interface TransformDeps {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  tmpDir: string;
  log: Logger;
  /** Rows per output row group (the unit DuckDB prunes by). @defaultValue 65536 */
  rowGroupSize?: number;
  /** Largest batch read from staging and validated at once. @defaultValue 8192 */
  batchRows?: number;
}

/**
 * Transform: validates every staged row against the contract, writes valid rows as typed Parquet
 * under the run's reserved version (Hive-style partitions), and every rejected row to the
 * quarantine dataset with its location and broken rules. Input rows = loaded + quarantined.
 * Output keys are deterministic, so a retry rewrites the same objects with the same bytes.
 */
export function createTransformProcessor(deps: TransformDeps) {
  return async (job: PayloadOf<'transform'>, ctx: StageContext): Promise<TransformResult> => {
    const done = await stageResult<TransformResult>(deps.catalog, job.runId, 'transform');
    if (done) return done;
    const extracted = await stageResult<ExtractResult>(deps.catalog, job.runId, 'extract');
    if (!extracted) throw new Error(`run ${job.runId} has no finished extract to transform`);
    await beginStage(deps.catalog, job.runId, 'transform');
    const contract = await getContract(deps.catalog, job.dataset, job.contractHash);
    const { domain, name } = parseDatasetId(job.dataset);
    const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });
    const rowGroupSize = deps.rowGroupSize ?? 65_536;
    const meta = {
      'lake.dataset': job.dataset,
      'lake.version': String(job.version),
      'lake.run_id': job.runId,
      'lake.schema_version': contract.dataset.schema_version,
      'lake.contract_hash': job.contractHash,
      'lake.contract': contractToYaml(contract),
    };

    const writerFor = (kind: 'data' | 'quarantine', specs: ColumnSpec[], dataset: string) =>
      new PartitionedWriter({
        store: deps.store,
        tmpDir: deps.tmpDir,
        specs,
        rowGroupSize,
        // Quarantine rows carry the whole staged row as JSON text (~1 KB each) and are few: waiting
        // for 65,536 of them held the whole run's quarantine in memory (transform 287 → 370 MB, 1M → 5M).
        flushRows: kind === 'quarantine' ? 8192 : 65_536,
        keyValueMetadata: { ...meta, 'lake.kind': kind },
        keyFor: (p, i) => deps.layout.normalizedKey(domain, dataset, job.version, p, `part-${String(i).padStart(5, '0')}.parquet`),
      });
    const data = writerFor('data', outputColumns(contract), name);
    const quarantine = writerFor('quarantine', QUARANTINE_COLUMNS, `${name}_quarantine`);

    const byRule = new Map<string, { column: string; rule: string; rows: number }>();
    let inputRows = 0;
    let loadedRows = 0;
    let quarantinedRows = 0;
    const partitionBy = contract.source.partition_by;
    // A rejected row is partitioned by its staged source values, like the rows that load.
    const partitionSources = partitionBy.map((f) => contract.fields.find((x) => x.name === f)?.source ?? f);
    try {
      for (const staged of extracted.files) {
        const key = deps.layout.parseKey(`${staged.object.bucket}/${staged.object.path}`);
        const local = join(deps.tmpDir, `transform-${job.runId}-staged.parquet`);
        await pipeline(await deps.store.get(key), createWriteStream(local));
        try {
          const source = await fileSource(local);
          const stagingSpecs = JSON.parse((await readKeyValueMetadata(source))['lake.columns'] ?? 'null') as ColumnSpec[] | null;
          if (!stagingSpecs) throw new Error(`staging file ${staged.object.bucket}/${staged.object.path} lacks its lake.columns metadata`);
          const validator = new RowValidator(contract, stagingSpecs);
          let row = 0;
          for await (const batch of readParquetBatches(source, { batchRows: deps.batchRows ?? 8192 })) {
            const { valid, rejected } = validator.validate(batch, row);
            row += batch.rowCount;
            inputRows += batch.rowCount;
            for (const part of splitByPartition(valid, partitionBy)) {
              if (part.batch.rowCount === 0) continue;
              await data.write(part.key, part.partition, part.batch);
              loadedRows += part.batch.rowCount;
            }
            if (rejected.length > 0) {
              const q: ColumnBatch = quarantineBatch(rejected, {
                runId: job.runId,
                sourceTable: contract.source.table,
                sourceFile: `${staged.object.bucket}/${staged.object.path}`,
                key: contract.source.key,
              });
              for (const c of partitionSources) q.columns[`__p_${c}`] = rejected.map((r) => r.staged[c] ?? null);
              for (const part of splitByPartition(q, partitionSources.map((c) => `__p_${c}`))) {
                const pairs: PartitionPairs = part.partition.map(([, v], i) => [partitionBy[i] as string, v]);
                for (const c of partitionSources) delete part.batch.columns[`__p_${c}`];
                await quarantine.write(part.key, pairs, part.batch);
              }
              quarantinedRows += rejected.length;
              for (const r of rejected) {
                const v = r.violations[0];
                if (!v) continue;
                const k = `${v.column}\u0000${v.rule}`;
                const agg = byRule.get(k) ?? { column: v.column, rule: v.rule, rows: 0 };
                agg.rows++;
                byRule.set(k, agg);
              }
            }
            await ctx.progress({ stage: 'transform', rows: inputRows, of: extracted.sourceRows });
          }
        } finally {
          await rm(local, { force: true });
        }
      }
      const files = await data.finish();
      const qFiles = await quarantine.finish();
      const result: TransformResult = {
        files,
        quarantine: { files: qFiles, rows: quarantinedRows },
        inputRows,
        loadedRows,
        quarantineByRule: [...byRule.values()].sort((a, b) => b.rows - a.rows),
      };
      log.info({ inputRows, loadedRows, quarantinedRows, files: files.length }, 'transformed');
      await ctx.failpoint('after-publish');
      await setRunCounts(deps.catalog, job.runId, { loaded_rows: loadedRows, quarantined_rows: quarantinedRows });
      await finishStage(deps.catalog, job.runId, 'transform', result);
      return result;
    } catch (err) {
      await data.abort();
      await quarantine.abort();
      throw err;
    }
  };
}
