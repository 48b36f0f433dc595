import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beginStage, type Catalog, finishStage, getContract, getRun, incrementalBase, setRunCounts, stageResult } from '@lake/catalog';
import { type BrapiSchemas, loadBrapiSchemas } from '@lake/brapi';
import { type ColumnSpec, type ExtractResult, type PartitionFingerprint, type PayloadOf, PermanentError, type StagedFile, isFileSource, parseDatasetId } from '@lake/contracts';
import type { Logger } from '@lake/logging';
import { ParquetFileWriter, fileSink } from '@lake/parquet';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import pg from 'pg';
import { BinaryCopyDecoder, copyOutBinary, describeQuery } from './pg-copy/index.js';
import { extractFiles } from './file-source/file-extract.js';
import { fingerprintQuery, sourceQuery, stagingType } from './source-query.js';

/** Rows per staging row group of a file source. */
const FILE_ROW_GROUP_ROWS = 8192;

export interface ExtractDeps {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  /** The source database, as an ordinary role: RLS applies to every read. */
  sourceUrl: string;
  tmpDir: string;
  log: Logger;
  /** @defaultValue 131072 */
  rowGroupSize?: number;
  /** The BrAPI 2.1 OpenAPI document, for contracts of BrAPI JSON files. */
  brapiOpenApiPath?: string;
}

/**
 * Extract: reads the contract's source in ONE consistent snapshot (REPEATABLE READ, read only),
 * one organization at a time under `SET LOCAL app.current_organization_id`, streaming binary COPY
 * through the decoder into staging Parquet, one row group in memory at a time.
 * Staging keys carry the attempt, so a retried or duplicated extract never overwrites a file
 * another attempt already reported; what a dead attempt leaves behind is garbage for `gc`.
 */
export function createExtractProcessor(deps: ExtractDeps) {
  let brapi: Promise<BrapiSchemas> | undefined;
  const brapiSchemas = () => {
    if (!deps.brapiOpenApiPath) return Promise.reject(new PermanentError('BrAPI files need LAKE_BRAPI_OPENAPI (the BrAPI 2.1 OpenAPI document) set for the extract worker'));
    brapi ??= loadBrapiSchemas(deps.brapiOpenApiPath);
    return brapi;
  };
  return async (job: PayloadOf<'extract'>, ctx: StageContext): Promise<ExtractResult> => {
    const done = await stageResult<ExtractResult>(deps.catalog, job.runId, 'extract');
    if (done) return done;
    await beginStage(deps.catalog, job.runId, 'extract');
    const contract = await getContract(deps.catalog, job.dataset, job.contractHash);
    const { domain, name } = parseDatasetId(job.dataset);
    const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });

    // Incremental when the current version was written under this contract and no full refresh
    // was asked for: only partitions whose fingerprint changed are extracted again.
    const run = await getRun(deps.catalog, job.runId);
    if (isFileSource(contract)) {
      if (!run) throw new PermanentError(`run ${job.runId} is not in the catalog`);
      // Memory follows the row-group size (README, Performance); files get small groups so a
      // multi-gigabyte upload stays within a worker's budget.
      const result = await extractFiles({ ...deps, brapiSchemas, rowGroupSize: deps.rowGroupSize ?? FILE_ROW_GROUP_ROWS }, job, ctx, contract, run);
      await setRunCounts(deps.catalog, job.runId, { source_rows: result.sourceRows });
      await finishStage(deps.catalog, job.runId, 'extract', result);
      return result;
    }
    const base = run?.full_refresh ? undefined : await incrementalBase(deps.catalog, job.dataset, job.contractHash);

    const client = new pg.Client({ connectionString: deps.sourceUrl, application_name: 'bijmantra-lake-extract' });
    await client.connect();
    const files: StagedFile[] = [];
    const partitions: PartitionFingerprint[] = [];
    const changed: string[] = [];
    let sourceRows = 0;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The snapshot is taken by the first statement: every query below sees this same instant.
      const snap = await client.query<{ xmin: string; taken_at: Date }>(
        'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, now() AS taken_at',
      );
      const snapshot = { xmin: snap.rows[0]?.xmin ?? '0', takenAt: (snap.rows[0]?.taken_at ?? new Date()).toISOString() };
      const orgs = contract.source.org_scope
        ? (await client.query<{ id: number }>('SELECT id FROM organizations ORDER BY id')).rows.map((r) => r.id)
        : [];
      const scopes: Array<number | undefined> = contract.source.org_scope ? orgs : [undefined];
      for (const org of scopes) {
        await client.query("SELECT set_config('app.current_organization_id', $1, true)", [String(org ?? 0)]);
        const prints = await client.query<{ key: string; rows: string; fingerprint: string }>(fingerprintQuery(contract, org));
        const here: PartitionFingerprint[] = prints.rows.map((r) => {
          const values = JSON.parse(r.key) as Array<string | null>;
          return { key: r.key, rows: Number(r.rows), fingerprint: r.fingerprint, partition: contract.source.partition_by.map((f, i): [string, string | null] => [f, values[i] ?? null]) };
        });
        partitions.push(...here);
        const todo = here.filter((p) => base?.partitions.get(p.key)?.fingerprint !== p.fingerprint);
        changed.push(...todo.map((p) => p.key));
        if (todo.length === 0) continue;
        const expected = todo.reduce((n, p) => n + p.rows, 0);
        const sql = sourceQuery(contract, org, todo.length === here.length ? undefined : todo.map((p) => p.key));
        const descriptors = await describeQuery(client, sql);
        const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
        const partition: Array<[string, string | null]> = org === undefined ? [] : [[contract.source.org_scope as string, String(org)]];
        const key = deps.layout.stagingKey(domain, job.runId, name, partition, `part-a${ctx.attempt}.parquet`);
        const tmp = join(deps.tmpDir, `extract-${job.runId}-${org ?? 'all'}-a${ctx.attempt}.parquet`);
        const sink = await fileSink(tmp);
        const writer = new ParquetFileWriter(specs, sink, {
          rowGroupSize: deps.rowGroupSize ?? 65_536,
          keyValueMetadata: { 'lake.run_id': job.runId, 'lake.stage': 'extract', 'lake.source_table': contract.source.table, 'lake.columns': JSON.stringify(specs) },
        });
        const decoder = new BinaryCopyDecoder(descriptors, { batchRows: deps.rowGroupSize ?? 65_536 });
        try {
          for await (const batch of decoder.decode(copyOutBinary(client, sql))) {
            await writer.writeBatch(batch);
            sourceRows += batch.rowCount;
            await ctx.progress({ stage: 'extract', rows: sourceRows, organization: org ?? null });
          }
          const written = await writer.close();
          await sink.close();
          // The fingerprints and the rows come from one snapshot: they must agree exactly.
          if (written.rowCount !== expected) {
            throw new Error(`extracted ${written.rowCount} rows for organization ${org ?? 'all'} but its changed partitions hold ${expected}`);
          }
          const put = await deps.store.putFile(key, tmp);
          files.push({ object: { bucket: key.bucket, path: key.path }, partition, rows: written.rowCount, bytes: put.size });
          log.info({ organization: org, rows: written.rowCount, bytes: put.size, partitions: todo.length, of: here.length }, 'staged');
          await ctx.failpoint('after-first-file');
        } finally {
          await sink.close().catch(() => undefined);
          await rm(tmp, { force: true });
        }
      }
      await client.query('COMMIT');
      const result: ExtractResult = {
        files,
        sourceRows,
        snapshot,
        organizations: orgs,
        mode: base ? 'incremental' : 'full',
        baseVersion: base?.version ?? null,
        partitions,
        changed,
        baseFiles: 'unchanged-partitions',
        conversions: [],
      };
      await setRunCounts(deps.catalog, job.runId, { source_rows: sourceRows });
      await finishStage(deps.catalog, job.runId, 'extract', result);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
