import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { beginStage, type Catalog, clearRunFiles, finishStage, getContract, recordRunFiles, setRunCounts, stageResult } from '@lake/catalog';
import {
  type ColumnBatch,
  type ColumnSpec,
  type ExtractResult,
  type LakeValue,
  PermanentError,
  type PayloadOf,
  type StagedFile,
  type TransformResult,
  type DatasetContract,
  contractToYaml,
  isFileSource,
  outputColumns,
  parseDatasetId,
} from '@lake/contracts';
import { type Logger, PhaseClock } from '@lake/logging';
import { duckdbLiteral, fileSource, NativeSession, type ParquetSource, readKeyValueMetadata, readParquetBatches } from '@lake/parquet';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import { type FileRow, resolveVersion, versionFiles, versionLayers } from '@lake/catalog';
import { type PartitionPairs, splitByPartition } from './partition-router.js';
import { PartitionedWriter } from './partitioned-writer.js';
import { QUARANTINE_COLUMNS, quarantineBatch } from './quarantine.js';
import { type BoundScale, RowValidator, type Violation } from './row-validator.js';
import { ExtractFeed, ExtractRestarted } from './extract-feed.js';
import { KeyIndex } from './key-index.js';
import { type FilePlan, SqlPlan, Unplannable } from './sql-plan.js';

/**
 * Staged rows SQL validates at once: DuckDB's work tables follow this, not the file's size.
 * With the writer's 32,768-row flushes, the transform's peak at 5M rows fell 273 → 252 MB (65,536
 * for both: 273 MB; 32,768: 252 MB at 3M) for ~17% more transform time (README, Performance).
 */
const SQL_SLICE_ROWS = 16_384;

/**
 * Staged rows a streamed range writes to one file when they fall in one partition: memory follows
 * DuckDB's row group, not this; at the bench's width ~10 MB a file, well within one PUT.
 */
const STREAM_ROWS = 262_144;

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
  /**
   * Validate in DuckDB the rows SQL can decide (sql-plan.ts) and hand only the rest to
   * RowValidator. Off, RowValidator reads every row; the results are the same.
   * @defaultValue true
   */
  sqlValidation?: boolean;
}

/**
 * Transform: validates every staged row against the contract, writes valid rows as typed Parquet
 * under the run's reserved version (Hive-style partitions), and every rejected row to the
 * quarantine dataset with its location and broken rules. Input rows = loaded + quarantined.
 * Output keys are deterministic, so a retry rewrites the same objects with the same bytes.
 */
export function createTransformProcessor(deps: TransformDeps) {
  const transform = async (job: PayloadOf<'transform'>, ctx: StageContext): Promise<TransformResult> => {
    const done = await stageResult<TransformResult>(deps.catalog, job.runId, 'transform');
    if (done) return done;
    const registered = await getContract(deps.catalog, job.dataset, job.contractHash);
    // The transform starts with the extract: from PostgreSQL, on the files it has finished while it
    // stages the rest; from files, once it is done (a file's error rate is counted over all of it).
    const feed = await ExtractFeed.open(deps.catalog, job.runId, { stream: !isFileSource(registered) });
    await beginStage(deps.catalog, job.runId, 'transform');
    // A retry starts over: the files an earlier attempt recorded are written again (same keys).
    await clearRunFiles(deps.catalog, job.runId);
    // A file source stages one column per field, named after the field.
    const contract = isFileSource(registered) ? { ...registered, fields: registered.fields.map((f) => ({ ...f, source: f.name })) } : registered;
    const references = await loadReferences(deps, contract);
    const scales = await loadScales(deps, contract);
    const { domain, name } = parseDatasetId(job.dataset);
    const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });
    // File datasets are written in small row groups: memory follows the row-group size, and an
    // upload of any size must fit a worker's budget (README, Performance). DuckDB holds a row
    // group until it is written: 65,536 observation rows outgrew its 64 MB and spilled ~23 MB per
    // file to its temp directory (1M rows: transform 10.0 → 8.0 s, 400 MB of writes gone).
    const rowGroupSize = deps.rowGroupSize ?? (isFileSource(registered) ? 8192 : 16_384);
    const meta = {
      'lake.dataset': job.dataset,
      'lake.version': String(job.version),
      'lake.run_id': job.runId,
      'lake.schema_version': contract.dataset.schema_version,
      'lake.contract_hash': job.contractHash,
      'lake.contract': contractToYaml(contract),
    };

    // A delta layer is one set of files at the version's root, not files per partition: 1% of the
    // rows spread over every partition would otherwise write thousands of tiny files.
    // A delta's files come with its result: files shared while the extract runs are a full run's.
    const layer = feed.result?.delta?.layer ?? 0;
    const fileName = (i: number) => (layer > 0 ? `layer-${layer}-part-${String(i).padStart(5, '0')}.parquet` : `part-${String(i).padStart(5, '0')}.parquet`);
    const writerFor = (kind: 'data' | 'quarantine', specs: ColumnSpec[], dataset: string) =>
      new PartitionedWriter({
        store: deps.store,
        tmpDir: deps.tmpDir,
        specs,
        rowGroupSize,
        // Quarantine rows carry the whole staged row as JSON text (~1 KB each) and are few: waiting
        // for 65,536 of them held the whole run's quarantine in memory (transform 287 → 370 MB, 1M → 5M).
        // Data rows wait in DuckDB's table up to its memory limit: 65,536 kept it full (see SQL_SLICE_ROWS).
        flushRows: kind === 'quarantine' ? 8192 : 32_768,
        keyValueMetadata: { ...meta, 'lake.kind': kind },
        onFiles: (files) => recordRunFiles(deps.catalog, job.runId, kind, layer > 0 ? files.map((f) => ({ ...f, layer })) : files),
        keyFor: (p, i) => deps.layout.normalizedKey(domain, dataset, job.version, p, fileName(i)),
      });
    const clock = new PhaseClock();
    const data = writerFor('data', outputColumns(contract), name);
    const quarantine = writerFor('quarantine', QUARANTINE_COLUMNS, `${name}_quarantine`);

    const byRule = new Map<string, { column: string; rule: string; rows: number }>();
    let inputRows = 0;
    let loadedRows = 0;
    let quarantinedRows = 0;
    const partitionBy = layer > 0 ? [] : contract.source.partition_by;
    // A rejected row is partitioned by its staged source values, like the rows that load.
    const partitionSources = partitionBy.map((f) => contract.fields.find((x) => x.name === f)?.source ?? f);
    const session = deps.sqlValidation === false ? undefined : await NativeSession.open();
    // Contracts with row-level deltas get a key index with every version layer.
    const keyIndex = contract.source.kind === 'postgres' && contract.source.incremental === 'rows'
      ? new KeyIndex({ session: session ?? (await NativeSession.open()), tmpPrefix: join(deps.tmpDir, `transform-${job.runId}-keys`), key: contract.source.key[0] as string })
      : undefined;
    /** One SQL plan per staging schema (a run's files share one); null when the contract has none. */
    const plans = new Map<string, SqlPlan | null>();
    const planFor = async (stagingSpecs: ColumnSpec[]): Promise<SqlPlan | null> => {
      if (!session) return null;
      const id = JSON.stringify(stagingSpecs);
      if (!plans.has(id)) {
        try {
          plans.set(id, await SqlPlan.create({ contract, stagingColumns: stagingSpecs, references, scales }, session));
        } catch (err) {
          if (!(err instanceof Unplannable)) throw err;
          log.info({ reason: err.message }, 'validating every row in JavaScript');
          plans.set(id, null);
        }
      }
      return plans.get(id) ?? null;
    };
    let stagedSeq = 0;
    /**
     * One staged file through the contract. `write`: valid rows to the data writer, rejected ones
     * (every row, with `rejectAll`) to quarantine. `count`: nothing written; returns the rows and
     * how many the contract rejects (for the per-file error-rate gate).
     */
    const checkStaged = async (staged: StagedFile, mode: 'write' | 'count', rejectAll?: Violation): Promise<{ rows: number; rejected: number; sourceFile: string }> => {
      const key = deps.layout.parseKey(`${staged.object.bucket}/${staged.object.path}`);
      // Each staged file gets local names of its own: a reader keeps no stale view of the one before.
      const seq = stagedSeq++;
      const local = join(deps.tmpDir, `transform-${job.runId}-staged-${seq}.parquet`);
      const rest = join(deps.tmpDir, `transform-${job.runId}-rest-${seq}.parquet`);
      const write = mode === 'write';
      let rows = 0;
      let rejectedRows = 0;
      await clock.time('download', async () => pipeline(await deps.store.get(key), createWriteStream(local)));
      try {
        const source = await fileSource(local);
        const footer = await readKeyValueMetadata(source);
        const stagingSpecs = JSON.parse(footer['lake.columns'] ?? 'null') as ColumnSpec[] | null;
        if (!stagingSpecs) throw new Error(`staging file ${staged.object.bucket}/${staged.object.path} lacks its lake.columns metadata`);
        const validator = new RowValidator(contract, stagingSpecs, references, scales);
        const sourceFile = `${staged.object.bucket}/${staged.object.path}`;
        /** RowValidator over `input` (counting; writing valid rows to the data writer and rejected ones to quarantine). */
        const validateRows = async (input: ParquetSource, byRowNumber: boolean) => {
          let row = 0;
          for await (const batch of readParquetBatches(input, { batchRows: deps.batchRows ?? 8192 })) {
            const { valid, rejected } = validator.validate(batch, row, byRowNumber ? batch.columns.file_row_number : undefined, rejectAll ? { rejectAll } : {});
            row += batch.rowCount;
            rows += batch.rowCount;
            rejectedRows += rejected.length;
            if (!write) continue;
            inputRows += batch.rowCount;
            for (const part of splitByPartition(valid, partitionBy)) {
              if (part.batch.rowCount === 0) continue;
              await data.write(part.key, part.partition, part.batch);
              loadedRows += part.batch.rowCount;
            }
            if (rejected.length > 0) {
              const q: ColumnBatch = quarantineBatch(rejected, { runId: job.runId, sourceTable: contract.source.table, sourceFile, key: contract.source.key });
              for (const c of partitionSources) q.columns[`__p_${c}`] = rejected.map((r) => r.staged[c] ?? null);
              for (const part of splitByPartition(q, partitionSources.map((c) => `__p_${c}`))) {
                const pairs: PartitionPairs = part.partition.map(([, v], i) => [partitionBy[i] as string, v]);
                for (const c of partitionSources) delete part.batch.columns[`__p_${c}`];
                await quarantine.write(part.key, pairs, part.batch);
              }
              quarantinedRows += rejected.length;
              keyIndex?.quarantined(rejected);
              for (const r of rejected) {
                const v = r.violations[0];
                if (!v) continue;
                const k = `${v.column}\u0000${v.rule}`;
                const agg = byRule.get(k) ?? { column: v.column, rule: v.rule, rows: 0 };
                agg.rows++;
                byRule.set(k, agg);
              }
            }
            // Row by row, flush between batches; rows SQL accepted, between slices.
            if (!byRowNumber) await data.flushIfFull();
            await quarantine.flushIfFull();
            await ctx.progress({ stage: 'transform', rows: inputRows, of: feed.stagedRows });
          }
        };
        /** Writes the rows of `sql` (rows left to RowValidator) to the local `rest` file; returns how many. */
        const copyRest = async (sql: string) =>
          Number(Object.values((await (session as NativeSession).rows(`COPY (${sql}) TO ${duckdbLiteral(rest)} (FORMAT parquet, COMPRESSION uncompressed)`))[0] ?? {})[0] ?? -1);
        /** Rows `[from, to)` of a staging file checked in one work table (memory follows the slice). */
        const sqlSlice = async (file: FilePlan, from: number, to: number) => {
          const db = session as NativeSession;
          const queries = await clock.time('sql-check', () => file.slice(from, to));
          try {
            if (write) {
              const accepted = await clock.time('sql-insert', () => data.writeQuery(queries.accepted, partitionBy));
              inputRows += accepted;
              loadedRows += accepted;
              rows += accepted;
            } else {
              const [counted] = await db.rows(`SELECT count(*) AS n FROM (${queries.accepted})`);
              rows += Number(counted?.n ?? 0);
            }
            await clock.time('rest-copy', () => copyRest(queries.remaining));
          } finally {
            await queries.drop();
          }
          await clock.time('js-validate', async () => validateRows(await fileSource(rest), true));
          await rm(rest, { force: true });
          if (write) await clock.time('flush', () => data.flushIfFull());
        };
        const plan = rejectAll ? null : await planFor(stagingSpecs);
        if (plan && session && write) {
          // Range by range, each written straight to a file when its rows fall in one partition
          // (an organization's staging file, when partitions are organizations); otherwise slice by
          // slice through the writer's table.
          const file = await clock.time('sql-check', () => plan.forFile(local));
          try {
            for (let from = 0; from < file.rows; from += STREAM_ROWS) {
              const partition = partitionBy.length === 0 ? [] : await clock.time('sql-check', () => singlePartition(session, file.partitions(from, from + STREAM_ROWS), partitionBy));
              if (partition) {
                const to = Math.min(file.rows, from + STREAM_ROWS);
                const queries = file.stream(from, to);
                const copied = await clock.time('sql-write', () => data.copyLocal(session, queries.accepted));
                const accepted = copied?.rowCount ?? 0;
                let restRows = -1;
                try {
                  // The rest are the staged rows whose key the written file lacks: no second pass of
                  // the checks. Only when the counts add up (a key staged twice would not).
                  const byKey = copied && file.remainingBesides(from, to, copied.path);
                  if (byKey) restRows = await clock.time('rest-copy', () => copyRest(byKey));
                  if (copied) await clock.time('upload', () => data.addFile(partition, copied));
                } finally {
                  if (copied) await rm(copied.path, { force: true });
                }
                if (accepted + restRows !== to - from) await clock.time('rest-copy', () => copyRest(queries.remaining));
                inputRows += accepted;
                loadedRows += accepted;
                rows += accepted;
                await clock.time('js-validate', async () => validateRows(await fileSource(rest), true));
                await rm(rest, { force: true });
                await clock.time('flush', () => data.flushIfFull());
                continue;
              }
              for (let at = from; at < Math.min(file.rows, from + STREAM_ROWS); at += SQL_SLICE_ROWS) await sqlSlice(file, at, Math.min(at + SQL_SLICE_ROWS, from + STREAM_ROWS));
            }
          } finally {
            await file.drop();
          }
        } else if (plan && session) {
          // Slice by slice (memory follows the slice, not the file): rows SQL accepts go
          // straight into the writer's table; RowValidator reads the rest.
          const file = await clock.time('sql-check', () => plan.forFile(local));
          try {
            for (let from = 0; from < file.rows; from += SQL_SLICE_ROWS) await sqlSlice(file, from, from + SQL_SLICE_ROWS);
          } finally {
            await file.drop();
          }
        } else {
          await clock.time('js-validate', () => validateRows(source, false));
        }
        if (write) await clock.time('flush', () => data.flushIfFull());
        if (write && keyIndex) await clock.time('keys', () => keyIndex.addStaged(local));
        return { rows, rejected: rejectedRows, sourceFile: footer['lake.source_file'] ?? sourceFile };
      } finally {
        await rm(local, { force: true });
        await rm(rest, { force: true });
      }
    };
    const rejectedFiles: NonNullable<TransformResult['rejectedFiles']> = [];
    try {
      // Files above the contract's error rate are rejected whole: every row to quarantine, with
      // the file's reason beside its own. A replay re-checks quarantined rows one by one.
      const maxRate = contract.quality.max_error_rate;
      const gated = isFileSource(registered) && maxRate < 1 && feed.result?.baseFiles !== 'data-only';
      const rejectedSources = new Map<string, Violation>();
      /** The raw file each staged file holds rows of. */
      const sourceOf = new Map<string, string>();
      if (gated) {
        const bySource = new Map<string, { rows: number; rejected: number }>();
        for (const staged of (feed.result as ExtractResult).files) {
          const counted = await checkStaged(staged, 'count');
          sourceOf.set(staged.object.path, counted.sourceFile);
          const agg = bySource.get(counted.sourceFile) ?? { rows: 0, rejected: 0 };
          agg.rows += counted.rows;
          agg.rejected += counted.rejected;
          bySource.set(counted.sourceFile, agg);
        }
        for (const [file, { rows, rejected }] of bySource) {
          const rate = rows === 0 ? 0 : rejected / rows;
          if (rate <= maxRate) continue;
          const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
          const message = `${file}: ${rejected} of ${rows} rows (${pct(rate)}) break the contract, above its max_error_rate ${pct(maxRate)}: the file is rejected and every row quarantined`;
          rejectedSources.set(file, { column: '(file)', rule: 'file_error_rate', raw: null, message });
          rejectedFiles.push({ file, rows, rejected, rate });
          log.warn({ file, rows, rejected, rate, maxRate }, 'file rejected: error rate above the contract\'s max_error_rate');
        }
      }
      for await (const staged of feed.files()) await checkStaged(staged, 'write', rejectedSources.get(sourceOf.get(staged.object.path) ?? ''));
      const extracted = feed.result as ExtractResult;
      await clock.time('flush', () => data.finish());
      await clock.time('flush', () => quarantine.finish());
      /** Key index and deletes files, recorded beside the rows' files. */
      const indexFiles = { data: 0, quarantine: 0 };
      // A delta that found nothing changed adds no layer: the version is its base's files.
      const unchanged = extracted.delta !== undefined && extracted.sourceRows === 0 && extracted.delta.superseded.rows === 0;
      if (keyIndex && !unchanged) {
        await clock.time('keys', async () => {
          const keysKey = deps.layout.normalizedKey(domain, name, job.version, [], layer > 0 ? `layer-${layer}-keys.parquet` : 'keys.parquet');
          await recordRunFiles(deps.catalog, job.runId, 'data', [{ ...(await keyIndex.publish(deps.store, keysKey)), role: 'keys', layer }]);
          indexFiles.data++;
          if (extracted.delta) {
            const keyField = contract.fields.find((f) => f.source === contract.source.key[0])?.name ?? (contract.source.key[0] as string);
            const superseded = join(deps.tmpDir, `transform-${job.runId}-superseded.parquet`);
            await pipeline(await deps.store.get(deps.layout.parseKey(`${extracted.delta.superseded.object.bucket}/${extracted.delta.superseded.object.path}`)), createWriteStream(superseded));
            try {
              for (const kind of ['data', 'quarantine'] as const) {
                const key = deps.layout.normalizedKey(domain, kind === 'data' ? name : `${name}_quarantine`, job.version, [], `layer-${layer}-deletes.parquet`);
                const deletes = await keyIndex.publishDeletes(deps.store, key, superseded, kind === 'quarantine');
                if (!deletes) continue;
                const maskColumn = kind === 'data' ? keyField : `row_key.${contract.source.key[0]}`;
                await recordRunFiles(deps.catalog, job.runId, kind, [{ ...deletes, role: 'deletes', layer, maskColumn }]);
                indexFiles[kind]++;
              }
            } finally {
              await rm(superseded, { force: true });
            }
          }
        });
      }
      const result: TransformResult = {
        files: data.filesWritten + indexFiles.data,
        quarantine: { files: quarantine.filesWritten + indexFiles.quarantine, rows: quarantinedRows },
        inputRows,
        loadedRows,
        quarantineByRule: [...byRule.values()].sort((a, b) => b.rows - a.rows),
        ...(rejectedFiles.length > 0 ? { rejectedFiles } : {}),
        phaseSeconds: clock.seconds(),
      };
      // js-validate includes the flushes it triggers.
      log.info({ inputRows, loadedRows, quarantinedRows, files: result.files, seconds: result.phaseSeconds }, 'transformed');
      await ctx.failpoint('after-publish');
      await setRunCounts(deps.catalog, job.runId, { loaded_rows: loadedRows, quarantined_rows: quarantinedRows });
      await finishStage(deps.catalog, job.runId, 'transform', result);
      return result;
    } catch (err) {
      await data.abort();
      await quarantine.abort();
      throw err;
    } finally {
      await keyIndex?.close(session === undefined);
      for (const plan of plans.values()) await plan?.close();
      session?.close();
    }
  };
  return async (job: PayloadOf<'transform'>, ctx: StageContext): Promise<TransformResult> => {
    for (;;) {
      try {
        return await transform(job, ctx);
      } catch (err) {
        if (!(err instanceof ExtractRestarted)) throw err;
        // Its files so far came from a snapshot the run no longer uses: start over on the new one.
        deps.log.info({ runId: job.runId, jobId: ctx.jobId, reason: err.message }, 'the extract started over: transforming from the start');
      }
    }
  };
}

/** Reads some columns of a dataset's current version, batch by batch; fails the run when it has none. */
async function* currentColumns(deps: TransformDeps, dataset: string, columns: string[], why: string): AsyncGenerator<Record<string, LakeValue[]>> {
  const version = await resolveVersion(deps.catalog, dataset, { kind: 'current' });
  if (!version) throw new PermanentError(`${why}: ${dataset} has no committed version`);
  const read = async function* (file: FileRow, cols: string[]) {
    const local = join(deps.tmpDir, `transform-read-${dataset}-${version.version}-${file.path.replaceAll('/', '_')}`);
    await pipeline(await deps.store.get(deps.layout.parseKey(`${file.bucket}/${file.path}`)), createWriteStream(local));
    try {
      for await (const batch of readParquetBatches(await fileSource(local), { columns: cols })) yield batch.columns;
    } finally {
      await rm(local, { force: true });
    }
  };
  // Delta layers: a row is left out when a later layer's deletes file names its key.
  for (const layer of versionLayers(await versionFiles(deps.catalog, dataset, version.version))) {
    const maskColumn = layer.maskedBy[0]?.mask_column;
    const masked = new Set<string>();
    for (const d of layer.maskedBy) for await (const cols of read(d, ['key'])) for (const k of cols.key ?? []) masked.add(String(k));
    for (const file of layer.files) {
      for await (const cols of read(file, maskColumn && !columns.includes(maskColumn) ? [...columns, maskColumn] : columns)) {
        if (!maskColumn || masked.size === 0) {
          yield cols;
          continue;
        }
        const keep = (cols[maskColumn] ?? []).map((k) => !masked.has(String(k)));
        yield Object.fromEntries(columns.map((c) => [c, (cols[c] ?? []).filter((_, i) => keep[i])]));
      }
    }
  }
}

/**
 * The values of every foreign-key field's referenced column, from the referenced dataset's
 * current version. A reference to a dataset with no committed version fails the run: every row
 * would be quarantined for a reason that is not the row's.
 */
async function loadReferences(deps: TransformDeps, contract: DatasetContract): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const cache = new Map<string, Set<string>>();
  for (const f of contract.fields) {
    if (!f.references) continue;
    const id = `${f.references.dataset}.${f.references.column}`;
    let values = cache.get(id);
    if (!values) {
      values = new Set<string>();
      for await (const cols of currentColumns(deps, f.references.dataset, [f.references.column], `field ${f.name} references it`)) {
        for (const v of cols[f.references.column] ?? []) if (v !== null && v !== undefined) values.add(typeof v === 'bigint' ? v.toString() : String(v));
      }
      cache.set(id, values);
    }
    out.set(f.name, values);
  }
  return out;
}

/**
 * The scale of each field bound to a BrAPI observation variable (by its DbId or name), from the
 * current version of the contract's variables dataset. A variable that is not there fails the run.
 */
async function loadScales(deps: TransformDeps, contract: DatasetContract): Promise<Map<string, BoundScale>> {
  const bound = contract.fields.filter((f) => f.observation_variable);
  const out = new Map<string, BoundScale>();
  if (bound.length === 0 || contract.source.kind !== 'file' || !contract.source.variables) return out;
  const cols = ['observation_variable_db_id', 'observation_variable_name', 'scale_data_type', 'scale_decimal_places', 'scale_minimum_value', 'scale_maximum_value', 'scale_categories'];
  const wanted = new Set(bound.map((f) => f.observation_variable as string));
  const found = new Map<string, BoundScale>();
  for await (const c of currentColumns(deps, contract.source.variables, cols, 'fields bind observation variables')) {
    const n = (c.observation_variable_name ?? []).length;
    for (let i = 0; i < n; i++) {
      const ids = [c.observation_variable_db_id?.[i], c.observation_variable_name?.[i]].filter((x): x is string => typeof x === 'string' && wanted.has(x));
      if (ids.length === 0) continue;
      const num = (v: LakeValue | undefined) => (v === null || v === undefined || String(v).trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
      const scale: BoundScale = { variable: ids[0] as string, dataType: (c.scale_data_type?.[i] as string | null) ?? null, decimalPlaces: num(c.scale_decimal_places?.[i]) ?? null };
      const min = num(c.scale_minimum_value?.[i]);
      const max = num(c.scale_maximum_value?.[i]);
      if (min !== undefined) scale.min = min;
      if (max !== undefined) scale.max = max;
      const cats = c.scale_categories?.[i];
      if (typeof cats === 'string') {
        const list = JSON.parse(cats) as Array<{ value?: string; label?: string }>;
        if (Array.isArray(list) && list.length > 0) scale.categories = new Set(list.map((x) => String(x.value ?? x.label)));
      }
      for (const id of ids) found.set(id, scale);
    }
  }
  for (const f of bound) {
    const scale = found.get(f.observation_variable as string);
    if (!scale) throw new PermanentError(`field ${f.name} is bound to observation variable "${f.observation_variable}", which ${contract.source.variables} does not hold`);
    out.set(f.name, scale);
  }
  return out;
}

/**
 * The one partition every row of a range falls in (`partitions` yields their distinct values
 * as `p0, p1, …`), or undefined when they fall in several.
 */
async function singlePartition(session: NativeSession, partitions: string, partitionBy: readonly string[]): Promise<PartitionPairs | undefined> {
  const found = await session.rows(`${partitions} LIMIT 2`);
  const [only] = found;
  if (found.length !== 1 || !only) return undefined;
  return partitionBy.map((c, k) => [c, (only[`p${k}`] ?? null) as string | null]);
}
