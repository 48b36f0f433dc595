import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BrapiSchemas } from '@lake/brapi';
import { type Catalog, type RunRow, resolveVersion, versionFiles } from '@lake/catalog';
import {
  type ColumnSpec,
  type DatasetContract,
  type ExtractResult,
  FILE_STAGING,
  type FileSourceContract,
  type LakeValue,
  type PayloadOf,
  PermanentError,
  type StagedFile,
  type StagedViolation,
  parseDatasetId,
  quarantineDatasetId,
} from '@lake/contracts';
import type { Logger } from '@lake/logging';
import { fileSource, readParquetBatches } from '@lake/parquet';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import { brapiFieldSpecs, recheckBrapi } from './brapi-reader.js';
import { delimitedFieldSpecs, type RecordTyper, recordTyper } from './delimited-reader.js';
import { openFile, uniqueKeys } from './open-file.js';
import { FileRejectedError } from './file-rejected-error.js';
import { genotypeFieldSpecs } from './genotype-reader.js';
import type { AppliedConversion, OpenedFile, StagedRecord } from './staged-record.js';
import { StagingWriter } from './staging-writer.js';

type FileContract = DatasetContract & { source: FileSourceContract };

export interface FileExtractDeps {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  tmpDir: string;
  log: Logger;
  /** Compiled BrAPI schemas, loaded on first use (only BrAPI contracts need them). */
  brapiSchemas: () => Promise<BrapiSchemas>;
  rowGroupSize: number;
  /** Rows per staging file; a larger input is staged in several. @defaultValue 1048576 */
  stagingFileRows?: number;
}

/**
 * Extract for file sources: reads each raw object of the run as a stream, parses it with the
 * reader of the contract's format, and stages one Parquet file per input — typed field columns
 * plus the file, line, read errors and raw record of every row. A replay run stages the dataset's
 * quarantined rows instead, read again under the current contract. Files that cannot be read at
 * all fail the run with a located, permanent error.
 */
export async function extractFiles(deps: FileExtractDeps, job: PayloadOf<'extract'>, ctx: StageContext, contract: FileContract, run: RunRow): Promise<ExtractResult> {
  const { domain, name } = parseDatasetId(job.dataset);
  const log = deps.log.child({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset });
  const current = await resolveVersion(deps.catalog, job.dataset, { kind: 'current' });
  const takenAt = new Date().toISOString();
  const files: StagedFile[] = [];
  const read: string[] = [];
  const conversions: AppliedConversion[] = [];
  let sourceRows = 0;
  const stage = async (index: number, sourceFile: string, open: () => Promise<OpenedFile>) => {
    // A large input is staged in parts: a Parquet writer keeps every row group's footer entry
    // until it closes, which for 25M rows outgrew the heap.
    const stagingFileRows = deps.stagingFileRows ?? 1_048_576;
    let part = 0;
    let writer: StagingWriter | undefined;
    let tmp = '';
    const opened = await open();
    const openPart = async () => {
      tmp = join(deps.tmpDir, `extract-${job.runId}-${index}-a${ctx.attempt}-${part}.parquet`);
      writer = await StagingWriter.open(tmp, opened.fields, sourceFile, { 'lake.run_id': job.runId, 'lake.stage': 'extract', 'lake.source_file': sourceFile }, deps.rowGroupSize);
    };
    const closePart = async () => {
      const done = writer as StagingWriter;
      writer = undefined;
      const rows = await done.close();
      const name0 = `file-${String(index).padStart(5, '0')}-a${ctx.attempt}${part === 0 ? '' : `-${part}`}.parquet`;
      const key = deps.layout.stagingKey(domain, job.runId, name, [], name0);
      const put = await deps.store.putFile(key, tmp);
      await rm(tmp, { force: true });
      files.push({ object: { bucket: key.bucket, path: key.path }, partition: [], rows, bytes: put.size });
      sourceRows += rows;
      part++;
      log.info({ file: sourceFile, part, rows, bytes: put.size }, 'staged file');
    };
    try {
      await openPart();
      for await (const record of opened.records) {
        const current = writer as StagingWriter;
        await current.add(record);
        if (current.rows % 50_000 === 0) await ctx.progress({ stage: 'extract', rows: sourceRows + current.rows });
        if (current.rows >= stagingFileRows) {
          await closePart();
          await openPart();
        }
      }
      // An empty last part is still written when it is the only one (a file with a header only).
      if (part === 0 || (writer?.rows ?? 0) > 0) await closePart();
      conversions.push(...opened.conversions);
      read.push(sourceFile);
    } finally {
      await writer?.abort();
      if (tmp) await rm(tmp, { force: true });
    }
  };

  if (run.replay) {
    if (!current) throw new PermanentError(`${job.dataset} has no committed version whose quarantine could be replayed`);
    await stage(0, `replay:${quarantineDatasetId(job.dataset)}@v${current.version}`, () => openReplay(deps, contract, job.dataset, current.version));
  } else {
    const inputs = run.inputs ?? [];
    if (inputs.length === 0) throw new PermanentError(`run ${job.runId} of ${job.dataset} names no raw files to ingest`);
    for (const [i, input] of inputs.entries()) {
      const sourceFile = `${input.bucket}/${input.path}`;
      const key = deps.layout.parseKey(sourceFile);
      if (key.tier !== 'raw') throw new PermanentError(`${sourceFile} is not in the raw tier`);
      const stat = await deps.store.stat(key);
      if (!stat) throw new FileRejectedError({ file: sourceFile, rule: 'missing-object' }, 'the raw object does not exist');
      if (input.etag && stat.etag !== input.etag) {
        throw new FileRejectedError({ file: sourceFile, rule: 'changed-object' }, `the object changed since the trigger (etag ${stat.etag}, expected ${input.etag}); its new version has its own trigger`);
      }
      await stage(i, sourceFile, async () => openFile(contract, await deps.store.get(key), sourceFile, deps.brapiSchemas));
      await ctx.failpoint('after-first-file');
    }
  }
  return {
    files,
    sourceRows,
    snapshot: { xmin: '0', takenAt },
    organizations: [],
    mode: current ? 'incremental' : 'full',
    baseVersion: current?.version ?? null,
    partitions: [],
    changed: read,
    appended: [],
    baseFiles: run.replay ? 'data-only' : 'all',
    conversions,
  };
}

/** The staged column types of a contract's format (a replay stages what an ingest would). */
function fieldSpecs(contract: FileContract): ColumnSpec[] {
  if (contract.source.format === 'delimited' || contract.source.format === 'json') return delimitedFieldSpecs(contract);
  return contract.source.format === 'brapi' ? brapiFieldSpecs(contract) : genotypeFieldSpecs(contract);
}

/** Reads the current quarantine version's rows back into staged records under the current contract. */
async function openReplay(deps: FileExtractDeps, contract: FileContract, dataset: string, version: number): Promise<OpenedFile> {
  const qFiles = await versionFiles(deps.catalog, quarantineDatasetId(dataset), version);
  const specs = fieldSpecs(contract);
  const schemas = contract.source.format === 'brapi' ? await deps.brapiSchemas() : undefined;
  const typers = new Map<string, RecordTyper | StagedViolation>();
  const conversions: AppliedConversion[] = [];
  const replayOne = (staged: Record<string, unknown>): StagedRecord => {
    const file = String(staged[FILE_STAGING.sourceFile] ?? 'unknown');
    const line = Number(staged[FILE_STAGING.line] ?? 0);
    const record = typeof staged[FILE_STAGING.record] === 'string' ? (staged[FILE_STAGING.record] as string) : null;
    const header = typeof staged[FILE_STAGING.header] === 'string' ? (staged[FILE_STAGING.header] as string) : null;
    // JSON objects are staged as a header (their keys) and cells, so they replay like CSV rows.
    if ((contract.source.format === 'delimited' || contract.source.format === 'json') && record !== null && header !== null) {
      let typer = typers.get(header);
      if (!typer) {
        const h = JSON.parse(header) as { cells: string[]; decimal: '.' | ',' };
        try {
          typer = recordTyper(contract, h.cells, h.decimal, file, 1);
          conversions.push(...typer.conversions);
        } catch (err) {
          if (!(err instanceof FileRejectedError)) throw err;
          typer = { column: err.place.field ?? '(header)', rule: err.place.rule, raw: null, message: err.message };
        }
        typers.set(header, typer);
      }
      if ('type' in typer) return { ...typer.type(JSON.parse(record) as string[], line), file };
      return { line, values: {}, errors: [typer], record, header, file };
    }
    if (schemas && record !== null) return { ...recheckBrapi(contract, schemas, record, line), file };
    const previous = typeof staged[FILE_STAGING.errors] === 'string' ? (JSON.parse(staged[FILE_STAGING.errors] as string) as StagedViolation[]) : [];
    const values: Record<string, LakeValue> = {};
    for (const s of specs) values[s.name] = fromJson(staged[s.name], s.type);
    return { line, values, errors: previous, record, header, file };
  };
  async function* records(): AsyncGenerator<StagedRecord> {
    for (const f of qFiles) {
      const local = join(deps.tmpDir, `replay-${dataset}-${f.path.replaceAll('/', '_')}`);
      await pipeline(await deps.store.get(deps.layout.parseKey(`${f.bucket}/${f.path}`)), createWriteStream(local));
      try {
        for await (const batch of readParquetBatches(await fileSource(local), { columns: ['staged_row'], batchRows: 4096 })) {
          for (const text of batch.columns.staged_row as LakeValue[]) yield replayOne(JSON.parse(String(text)) as Record<string, unknown>);
        }
      } finally {
        await rm(local, { force: true });
      }
    }
  }
  return { fields: specs, records: uniqueKeys(contract, records()), conversions };
}

/** A staged value as the quarantine kept it in JSON (bigints as text) → its lake value. */
function fromJson(v: unknown, type: string): LakeValue {
  if (v === null || v === undefined) return null;
  if (type.startsWith('list<') && Array.isArray(v)) return v.map((x) => fromJson(x, type.slice(5, -1)));
  if ((type === 'int64' || type === 'timestamp') && (typeof v === 'string' || typeof v === 'number')) {
    try {
      return BigInt(v);
    } catch {
      return null;
    }
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return v as LakeValue;
}
