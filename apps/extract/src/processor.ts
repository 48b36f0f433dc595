import { readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beginStage, type Catalog, deltaBaseVersion, finishStage, getContract, getRun, incrementalBase, setRunCounts, shareStageProgress, stageResult } from '@lake/catalog';
import { type BrapiSchemas, loadBrapiSchemas } from '@lake/brapi';
import { type ColumnSpec, type DatasetContract, type ExtractProgress, type ExtractResult, type PartitionFingerprint, type PayloadOf, PermanentError, type StagedFile, isFileSource, parseDatasetId } from '@lake/contracts';
import { type Logger, PhaseClock } from '@lake/logging';
import { NativeParquetWriter } from '@lake/parquet';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import pg from 'pg';
import { BinaryCopyDecoder, copyOutBinary, describeQuery, pooledReadSocket } from './pg-copy/index.js';
import { backfillMatcher } from './backfill.js';
import { type CsvStageOptions, CsvUnreadable, csvStageable, stageThroughCsv } from './csv-stage.js';
import { extractFiles } from './file-source/file-extract.js';
import { DEFAULT_DELTA_LIMITS, type DeltaLimits, lookupRows, scanDelta } from './delta-extract.js';
import { type InsertOnlyBase, deltaQueries, fingerprintQuery, insertOnlyJoinedPart, insertOnlyWatermark, sourceQuery, sourceQueryWithLookups, stagingType } from './source-query.js';

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
  /**
   * Rows per staging row group. Transform decodes a staging file one row group at a time, so this
   * bounds its memory; staging is never pruned, so small groups cost nothing.
   * @defaultValue 16384
   */
  rowGroupSize?: number;
  /**
   * Rows per decoded batch held in JavaScript; DuckDB buffers the row group natively.
   * @defaultValue 8192
   */
  batchRows?: number;
  /**
   * Rows per staging file: an organization with more gets several files. Through binary COPY,
   * DuckDB holds a file's rows in memory until it is written (its appended rows are not spilled),
   * so this bounds the worker's memory: a 625k-row file had taken ~170 MB. Through CSV, DuckDB
   * streams each part into Parquet (memory follows the row group), and larger files cost the
   * transform less per row: 131,072 rows ran the 1M bench in 5.4 / 5.7 s against 5.9 / 6.3 s for
   * 65,536, and the 5M in 25.0 s with every worker ≤ 243 MB; 262,144 made the transform's first
   * file wait longer (1M 5.9 s) and took it to 260 MB at 5M.
   * @defaultValue 131072 through CSV, 65536 through binary COPY
   */
  fileRows?: number;
  /** When a row-level delta is a full run instead (delta-extract.ts). */
  deltaLimits?: DeltaLimits;
  /** The BrAPI 2.1 OpenAPI document, for contracts of BrAPI JSON files. */
  brapiOpenApiPath?: string;
  /** Rows per staging file of a file source (a larger upload is staged in parts). @defaultValue 1048576 */
  stagingFileRows?: number;
  /**
   * Stage through PostgreSQL's CSV output read by DuckDB when every column allows it
   * (csv-stage.ts); off, every query goes through binary COPY and the JavaScript decoder.
   * @defaultValue true
   */
  csv?: boolean;
}

/**
 * Extract: reads the contract's source in ONE consistent snapshot (REPEATABLE READ, read only),
 * one organization at a time under `SET LOCAL app.current_organization_id`, streaming binary COPY
 * through the decoder into staging Parquet (one file per `fileRows` rows), one batch in JavaScript
 * memory at a time.
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
    const started = await beginStage(deps.catalog, job.runId, 'extract');
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
    // Row-level deltas replace partition rewrites for contracts that ask for them.
    const rowDeltas = contract.source.incremental === 'rows';
    const deltaBase = rowDeltas && !run?.full_refresh ? await deltaBaseVersion(deps.catalog, job.dataset, job.contractHash) : undefined;
    const base = run?.full_refresh || rowDeltas ? undefined : await incrementalBase(deps.catalog, job.dataset, job.contractHash);
    // A backfill re-extracts the partitions it names even when their fingerprints did not change.
    const forced = backfillMatcher(contract, run?.backfill);

    // Its socket reads into a few reused buffers while CSV is staged (pg-copy/read-pool.ts).
    const client = new pg.Client({ connectionString: deps.sourceUrl, application_name: 'bijmantra-lake-extract', stream: pooledReadSocket });
    await client.connect();
    const files: StagedFile[] = [];
    const partitions: PartitionFingerprint[] = [];
    const changed: string[] = [];
    const appended: string[] = [];
    let sourceRows = 0;
    const clock = new PhaseClock();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Derived months and cursor text are UTC whatever the server's zone.
      await client.query("SET LOCAL TimeZone = 'UTC'");
      // The snapshot is taken by the first query: every query below sees this same instant.
      const snap = await client.query<{ xmin: string; xmax: string; txids: string; taken_at: Date }>(
        'SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax, s::text AS txids, now() AS taken_at FROM pg_current_snapshot() s',
      );
      const row = snap.rows[0];
      if (!row) throw new Error('the source returned no snapshot');
      const snapshot: ExtractResult['snapshot'] = { xmin: row.xmin, takenAt: row.taken_at.toISOString(), txids: row.txids };
      const insertOnly = insertOnlyBase(contract, base, row.xmax);
      const orgs = contract.source.org_scope
        ? (await client.query<{ id: number }>('SELECT id FROM organizations ORDER BY id')).rows.map((r) => r.id)
        : [];
      const scopes: Array<number | undefined> = contract.source.org_scope ? orgs : [undefined];
      // Partitions that are organizations (or one partition, the whole table): each query stages one.
      const partitionBy = contract.source.partition_by;
      const orgField = partitionBy.length === 1 ? contract.fields.find((f) => f.name === partitionBy[0]) : undefined;
      const byOrganization =
        partitionBy.length === 0 ? !contract.source.org_scope : orgField !== undefined && !orgField.derive && orgField.source === contract.source.org_scope;
      /**
       * A run that is not a delta shares each staged file as it is published: the transform starts
       * on it while the rest are staged (a delta's transform needs its result).
       */
      let sharing = false;
      const share = async () => {
        if (!sharing) return;
        const progress: ExtractProgress = { files, sourceRows };
        await shareStageProgress(deps.catalog, job.runId, 'extract', started, progress);
      };
      /**
       * Stages one query's rows (one organization's), which must number what PostgreSQL says it
       * sent and, when given, `expected`; `tag` keeps the files of several queries for one
       * organization apart (`-c1`, …); `lookups`, the same query with its joins left to DuckDB
       * (CSV staging only). Returns how many rows it staged.
       */
      const stageRows = async (
        org: number | undefined,
        sql: string,
        expected: number | undefined,
        why: string,
        note: Record<string, unknown>,
        tag = '',
        lookups?: CsvStageOptions['lookups'],
      ) => {
        const descriptors = await describeQuery(client, sql);
        const specs: ColumnSpec[] = descriptors.map((d) => ({ name: d.name, type: stagingType(d.pgType), nullable: true }));
        const partition: Array<[string, string | null]> = org === undefined ? [] : [[contract.source.org_scope as string, String(org)]];
        const fileRows = deps.fileRows ?? 65_536;
        const csvFileRows = deps.fileRows ?? 131_072;
        const rowGroupSize = deps.rowGroupSize ?? 16_384;
        const keyValueMetadata = { 'lake.run_id': job.runId, 'lake.stage': 'extract', 'lake.source_table': contract.source.table, 'lake.columns': JSON.stringify(specs) };
        // The first file keeps the plain name; an organization past `fileRows` rows gets more.
        // Files staged through binary COPY after CSV failed get names of their own: a transform that
        // read the CSV files shared before sees them change and starts over.
        let variant = '';
        const keyOf = (part: number) =>
          deps.layout.stagingKey(domain, job.runId, name, partition, part === 0 ? `part-a${ctx.attempt}${tag}${variant}.parquet` : `part-a${ctx.attempt}${tag}${variant}-${part}.parquet`);
        const tmpOf = (part: number, ext: string) => join(deps.tmpDir, `extract-${job.runId}-${org ?? 'all'}-a${ctx.attempt}${tag}-${part}.${ext}`);
        const firstFile = files.length;
        const rowsBefore = sourceRows;
        let orgRows = 0;
        /**
         * Uploads a finished staging file. Read and removed synchronously: the one libuv pool
         * thread converts the next part in DuckDB meanwhile, and PostgreSQL's rows for the part
         * after wait for this upload to finish.
         */
        const publish = async (part: number, tmp: string, rows: number) => {
          const key = keyOf(part);
          try {
            const put = await clock.time('upload', () => deps.store.put(key, readFileSync(tmp)));
            files.push({ object: { bucket: key.bucket, path: key.path }, partition, rows, bytes: put.size });
            log.info({ organization: org, rows, bytes: put.size, ...note }, 'staged');
          } finally {
            rmSync(tmp, { force: true });
          }
          orgRows += rows;
          sourceRows += rows;
          await share();
          await ctx.progress({ stage: 'extract', rows: sourceRows, organization: org ?? null });
          await ctx.failpoint('after-first-file');
        };
        // Staging time excludes the uploads inside it (timed on their own).
        const stagingFrom = { at: performance.now(), uploads: clock.total('upload') };
        let staged = false;
        if (deps.csv !== false && csvStageable(descriptors)) {
          try {
            let part = 0;
            const csvOptions: CsvStageOptions = {
              fileRows: csvFileRows,
              rowGroupSize,
              keyValueMetadata,
              csvPath: (i) => tmpOf(i, 'csv'),
              parquetPath: (i) => tmpOf(i, 'parquet'),
              lookups,
              onLookupsDeclined: (reason) => log.info({ organization: org, reason }, 'joining in PostgreSQL'),
            };
            for await (const written of stageThroughCsv(client, sql, descriptors, specs, csvOptions)) await publish(part++, written.path, written.rows);
            staged = true;
          } catch (err) {
            if (!(err instanceof CsvUnreadable)) throw err;
            // Same snapshot, same query: binary COPY stages it and names any unrepresentable value.
            log.info({ organization: org, reason: err.message }, 'staging through binary COPY');
            const withdrawn = files.splice(firstFile).length;
            sourceRows = rowsBefore;
            orgRows = 0;
            variant = 'b';
            if (withdrawn > 0) await share();
          }
        }
        if (!staged) {
          const decoder = new BinaryCopyDecoder(descriptors, { batchRows: Math.min(deps.batchRows ?? 8192, fileRows) });
          let part = 0;
          let open: { writer: NativeParquetWriter; tmp: string; rows: number } | undefined;
          /** Closes the open staging file and uploads it. */
          const stage = async () => {
            if (!open) return;
            const { writer, tmp } = open;
            open = undefined;
            try {
              const written = await writer.close();
              await publish(part - 1, tmp, written.rowCount);
            } finally {
              await writer.abort();
              await rm(tmp, { force: true });
            }
          };
          let sent = -1;
          try {
            for await (const batch of decoder.decode(copyOutBinary(client, sql, { onRowCount: (n) => (sent = n) }))) {
              if (!open) {
                const tmp = tmpOf(part, 'parquet');
                part++;
                // Staging is read once, by transform, whole: no file statistics are needed.
                open = { writer: await NativeParquetWriter.open(tmp, specs, { rowGroupSize, statistics: false, keyValueMetadata }), tmp, rows: 0 };
              }
              await open.writer.writeBatch(batch);
              open.rows += batch.rowCount;
              if (open.rows >= fileRows) await stage();
            }
            await stage();
            if (orgRows !== sent) throw new Error(`staged ${orgRows} rows for organization ${org ?? 'all'} but PostgreSQL sent ${sent}`);
          } finally {
            if (open) {
              await open.writer.abort();
              await rm(open.tmp, { force: true });
            }
          }
        }
        clock.add('stage', performance.now() - stagingFrom.at - (clock.total('upload') - stagingFrom.uploads));
        // The rows and what the snapshot said of them come from one snapshot: they must agree exactly.
        if (expected !== undefined && orgRows !== expected) {
          throw new Error(`extracted ${orgRows} rows for organization ${org ?? 'all'} but ${why}`);
        }
        return orgRows;
      };
      if (deltaBase) {
        const scan = await scanDelta({
            client,
            contract,
            base: deltaBase,
            scopes,
            store: deps.store,
            layout: deps.layout,
            tmpPrefix: join(deps.tmpDir, `extract-${job.runId}-a${ctx.attempt}`),
            backfill: run?.backfill,
            limits: deps.deltaLimits ?? DEFAULT_DELTA_LIMITS,
            sourceUrl: deps.sourceUrl,
            clock,
          });
        if ('fullBecause' in scan) {
          log.info({ reason: scan.fullBecause }, 'a full run instead of a delta');
        } else {
          let superseded: StagedFile;
          try {
            for (const org of scopes) {
              const chunks = scan.changed.get(org ?? null);
              if (!chunks) continue;
              await client.query("SELECT set_config('app.current_organization_id', $1, true)", [String(org ?? 0)]);
              for (const [i, { keys, count }] of chunks.entries()) {
                const sql = deltaQueries(contract, org, scan.deltaBase).byKeys(keys);
                await stageRows(org, sql, count, `the delta scan flagged ${count} of its rows changed`, { changed: count }, i === 0 ? '' : `-c${i}`);
              }
            }
            const key = deps.layout.stagingKey(domain, job.runId, name, [], `superseded-a${ctx.attempt}.parquet`);
            const put = await clock.time('upload', () => deps.store.put(key, readFileSync(scan.supersededPath)));
            superseded = { object: { bucket: key.bucket, path: key.path }, partition: [], rows: scan.supersededLoaded + scan.supersededQuarantined, bytes: put.size };
          } finally {
            rmSync(scan.supersededPath, { force: true });
          }
          await client.query('COMMIT');
          const result: ExtractResult = {
            files,
            sourceRows,
            snapshot: { ...snapshot, joinRows: scan.joinRows },
            organizations: orgs,
            mode: 'incremental',
            baseVersion: deltaBase.version,
            partitions: [],
            changed: [],
            appended: [],
            baseFiles: 'all',
            delta: {
              layer: scan.layer,
              superseded,
              supersededLoaded: scan.supersededLoaded,
              supersededQuarantined: scan.supersededQuarantined,
              compared: scan.compared,
              snapshotRows: scan.baseRows - superseded.rows + sourceRows,
            },
            conversions: [],
            phaseSeconds: clock.seconds(),
          };
          log.info({ rows: sourceRows, superseded: superseded.rows, layer: scan.layer, seconds: clock.seconds() }, 'extracted a delta');
          await setRunCounts(deps.catalog, job.runId, { source_rows: sourceRows });
          await finishStage(deps.catalog, job.runId, 'extract', result);
          return result;
        }
      }
      sharing = true;
      for (const org of scopes) {
        await client.query("SELECT set_config('app.current_organization_id', $1, true)", [String(org ?? 0)]);
        // What the next row-level delta compares its lookup tables with.
        if (rowDeltas) await lookupRows(client, contract, org, (snapshot.joinRows ??= {}));
        if (rowDeltas && byOrganization) {
          // Row-level deltas compare keys, never partition fingerprints, and each organization is
          // one partition: its fingerprint is its row count, the count PostgreSQL reports for the
          // staging COPY — no counting query first.
          const staged = await stageRows(org, sourceQuery(contract, org), undefined, '', { partitions: 1, of: 1 }, '', sourceQueryWithLookups(contract, org));
          if (staged > 0) {
            const partition: Array<[string, string | null]> = org === undefined ? [] : [[contract.source.partition_by[0] as string, String(org)]];
            const key = org === undefined ? '[]' : JSON.stringify([String(org)]);
            partitions.push({ key, rows: staged, fingerprint: String(staged), partition });
            changed.push(key);
          }
          continue;
        }
        const prints = await clock.time('fingerprint', () => client.query<{ key: string; rows: string; fingerprint: string; fresh_rows: string }>(fingerprintQuery(contract, org, insertOnly)));
        const here: PartitionFingerprint[] = prints.rows.map((r) => {
          const values = JSON.parse(r.key) as Array<string | null>;
          return { key: r.key, rows: Number(r.rows), fingerprint: r.fingerprint, partition: contract.source.partition_by.map((f, i): [string, string | null] => [f, values[i] ?? null]) };
        });
        partitions.push(...here);
        const freshRows = new Map(prints.rows.map((r) => [r.key, Number(r.fresh_rows)]));
        const todo = here.filter((p) => forced(p.partition) || (freshRows.get(p.key) ?? 0) > 0 || base?.partitions.get(p.key)?.fingerprint !== p.fingerprint);
        changed.push(...todo.map((p) => p.key));
        if (todo.length === 0) continue;
        // Insert-only partitions that only gained rows within the overlap stage just those rows;
        // their version keeps the base files and adds the new ones.
        const appends = new Set(
          insertOnly
            ? todo
                .filter((p) => {
                  const was = base?.partitions.get(p.key);
                  const gained = freshRows.get(p.key) ?? 0;
                  return !forced(p.partition) && was !== undefined && gained > 0 && Number(was.row_count) + gained === p.rows &&
                    insertOnlyJoinedPart(contract, was.fingerprint) === insertOnlyJoinedPart(contract, p.fingerprint);
                })
                .map((p) => p.key)
            : [],
        );
        appended.push(...appends);
        const rewrite = todo.filter((p) => !appends.has(p.key));
        const expected = rewrite.reduce((n, p) => n + p.rows, 0) + [...appends].reduce((n, k) => n + (freshRows.get(k) ?? 0), 0);
        const rows: Parameters<typeof sourceQuery> =
          appends.size > 0 && insertOnly
            ? [contract, org, rewrite.map((p) => p.key), { keys: [...appends], base: insertOnly }]
            : [contract, org, todo.length === here.length ? undefined : todo.map((p) => p.key)];
        await stageRows(org, sourceQuery(...rows), expected, `its changed partitions hold ${expected}`, { partitions: todo.length, of: here.length }, '', sourceQueryWithLookups(...rows));
      }
      await client.query('COMMIT');
      log.info({ rows: sourceRows, files: files.length, partitions: partitions.length, changed: changed.length, seconds: clock.seconds() }, 'extracted');
      const result: ExtractResult = {
        files,
        sourceRows,
        snapshot,
        organizations: orgs,
        mode: base ? 'incremental' : 'full',
        baseVersion: base?.version ?? null,
        partitions,
        changed,
        appended,
        baseFiles: 'unchanged-partitions',
        conversions: [],
        phaseSeconds: clock.seconds(),
      };
      await setRunCounts(deps.catalog, job.runId, { source_rows: sourceRows });
      await finishStage(deps.catalog, job.runId, 'extract', result);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw asPermanent(err, job.dataset);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/**
 * An insert-only dataset's incremental run compares against what the base version saw: its
 * snapshot (which transactions were visible) and each partition's largest cursor.
 */
function insertOnlyBase(
  contract: DatasetContract,
  base: { snapshot: Record<string, unknown>; partitions: Map<string, { fingerprint: string }> } | undefined,
  xmax8: string,
): InsertOnlyBase | undefined {
  const txids = base?.snapshot.txids;
  if (contract.source.mode !== 'insert_only' || !base || typeof txids !== 'string') return undefined;
  const watermarks: Record<string, string> = {};
  for (const [key, p] of base.partitions) {
    const mark = insertOnlyWatermark(contract, p.fingerprint);
    if (mark) watermarks[key] = mark;
  }
  return { txids, xmax8, watermarks };
}

/**
 * SQL errors that no retry can fix (the contract names a column, table or function the source
 * lacks, or the extractor's role may not read it) fail the run at once, naming the dataset.
 */
const PERMANENT_SQLSTATES = new Set(['42703', '42P01', '42883', '42501', '42846', '42804', '42601']);
function asPermanent(err: unknown, dataset: string): unknown {
  const code = (err as { code?: string }).code;
  if (code && PERMANENT_SQLSTATES.has(code)) return new PermanentError(`${dataset}: the source query failed (SQLSTATE ${code}): ${(err as Error).message}`);
  return err;
}
