/**
 * Streaming Parquet writer: lake column batches in, one row group at a time out to a byte sink.
 * Built on hyparquet-writer's incremental `ParquetWriter`.
 */
import type { ColumnBatch, ColumnSpec, ParsedLakeType } from '@lake/contracts';
import { ParquetWriter } from 'hyparquet-writer';
import { type ByteSink, fileSink, memorySink, SinkWriter } from './byte-sink.js';
import { type ColumnStats, ColumnStatsAccumulator } from './column-stats.js';
import { type ParquetCompression, pageCompression } from './compression.js';
import { type PhysicalValue, toPhysical } from './lake-values.js';
import { lakeSchema, parseColumnType, type WriteSchema } from './parquet-schema.js';

/** Options of a Parquet file writer. */
export interface ParquetWriteOptions {
  /**
   * Rows per row group. A row group is the unit of pruning and of reader memory.
   * @defaultValue 131072
   */
  rowGroupSize?: number;
  /**
   * Page compression.
   * @defaultValue 'zstd'
   */
  compression?: ParquetCompression;
  /**
   * Key-value metadata for the file footer (the dataset contract goes here).
   * @defaultValue {}
   */
  keyValueMetadata?: Record<string, string>;
}

/** What a closed writer wrote: the catalog's file row. */
export interface ParquetWriteResult {
  rowCount: number;
  byteSize: number;
  columnStats: Record<string, ColumnStats>;
}

export const DEFAULT_ROW_GROUP_SIZE = 131072;

/**
 * hyparquet-writer pins its own hyparquet (1.31) whose SchemaElement type lacks 1.33's FILE
 * logical type; the lake never writes FILE, so our 1.33-typed elements fit.
 */
type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

interface WriterColumn {
  spec: ColumnSpec;
  type: ParsedLakeType;
  pending: PhysicalValue[];
  stats: ColumnStatsAccumulator;
}

/**
 * Writes lake column batches to a sink as one Parquet file, one row group at a time.
 *
 * ```ts
 * const writer = new ParquetFileWriter(specs, sink, { rowGroupSize: 50_000 });
 * for await (const batch of batches) await writer.writeBatch(batch);
 * const { rowCount, byteSize, columnStats } = await writer.close();
 * ```
 * Memory holds at most one row group of values plus its encoded bytes. Await each call
 * before the next: the sink's back-pressure reaches the caller that way.
 */
export class ParquetFileWriter {
  private readonly columns: WriterColumn[];
  private readonly schema: WriteSchema;
  private readonly rowGroupSize: number;
  private readonly compression: ParquetCompression;
  private readonly bytes: SinkWriter;
  private readonly parquet: ParquetWriter;
  private rowCount = 0;
  private state: 'open' | 'closed' | 'failed' = 'open';
  private busy = false;

  /**
   * @param specs the file's columns, in order
   * @param sink receives the file's bytes, one chunk per row group and one for the footer
   * @param options row group size, compression and key-value metadata
   */
  constructor(specs: readonly ColumnSpec[], sink: ByteSink, options: ParquetWriteOptions = {}) {
    const { rowGroupSize = DEFAULT_ROW_GROUP_SIZE, compression = 'zstd', keyValueMetadata = {} } = options;
    if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
      throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
    }
    this.schema = lakeSchema(specs);
    this.columns = specs.map((spec) => {
      const type = parseColumnType(spec);
      return { spec, type, pending: [], stats: new ColumnStatsAccumulator(type) };
    });
    this.rowGroupSize = rowGroupSize;
    this.compression = compression;
    this.bytes = new SinkWriter(sink);
    this.parquet = new ParquetWriter({
      writer: this.bytes,
      schema: this.schema.encode as WriterSchema,
      codec: 'UNCOMPRESSED', // the real codec is set per row group, once its compressor is loaded
      kvMetadata: Object.entries(keyValueMetadata).map(([key, value]) => ({ key, value })),
      createdBy: 'bijmantra-lake (hyparquet-writer)',
    });
  }

  /**
   * Validates and buffers a batch; writes every full row group to the sink.
   * Throws naming the column, row and value that do not fit the column's type; the writer is
   * then unusable (its file would be partial).
   */
  async writeBatch(batch: ColumnBatch): Promise<void> {
    this.assertOpen('writeBatch');
    this.busy = true;
    try {
      this.buffer(batch);
      while (this.pendingRows() >= this.rowGroupSize) await this.writeRowGroup(this.rowGroupSize);
    } catch (error) {
      this.state = 'failed';
      throw error;
    } finally {
      this.busy = false;
    }
  }

  /** Writes the last row group and the footer, and returns what was written. */
  async close(): Promise<ParquetWriteResult> {
    this.assertOpen('close');
    this.busy = true;
    try {
      if (this.pendingRows() > 0) await this.writeRowGroup(this.pendingRows());
      // Swap in the footer schema (JSON annotations) only now: see lakeSchema().
      this.parquet.schema = this.schema.footer as WriterSchema;
      await this.parquet.finish();
      this.state = 'closed';
    } catch (error) {
      this.state = 'failed';
      throw error;
    } finally {
      this.busy = false;
    }
    const columnStats: Record<string, ColumnStats> = {};
    for (const column of this.columns) columnStats[column.spec.name] = column.stats.result();
    return { rowCount: this.rowCount, byteSize: this.bytes.offset, columnStats };
  }

  private buffer(batch: ColumnBatch): void {
    const { rowCount, columns } = batch;
    if (!Number.isSafeInteger(rowCount) || rowCount < 0) throw new RangeError(`batch rowCount must be a non-negative integer, got ${rowCount}`);
    for (const name of Object.keys(columns)) {
      if (!this.columns.some((column) => column.spec.name === name)) throw new Error(`batch has column "${name}", which is not in the file's columns`);
    }
    for (const { spec } of this.columns) {
      const values = columns[spec.name];
      if (!values) throw new Error(`batch is missing column "${spec.name}"`);
      if (values.length !== rowCount) throw new Error(`column "${spec.name}" has ${values.length} values, batch rowCount is ${rowCount}`);
    }
    // Convert everything before buffering anything, so a bad batch leaves no partial rows.
    const converted = this.columns.map(({ spec, type }) => {
      const values = columns[spec.name] ?? [];
      const out = new Array<PhysicalValue>(rowCount);
      for (let i = 0; i < rowCount; i++) {
        const row = this.rowCount + this.pendingRows() + i;
        const value = toPhysical(type, values[i], { column: spec.name, row });
        if (value === null && !spec.nullable) throw new TypeError(`column "${spec.name}" row ${row}: null in a non-nullable column`);
        out[i] = value;
      }
      return out;
    });
    this.columns.forEach((column, c) => {
      for (const value of converted[c] as PhysicalValue[]) {
        column.pending.push(value);
        column.stats.add(value);
      }
    });
  }

  private async writeRowGroup(rows: number): Promise<void> {
    const { codec, compressors } = await pageCompression(this.compression);
    this.parquet.codec = codec;
    Object.assign(this.parquet.compressors, compressors);
    const columnData = this.columns.map((column) => {
      const data = column.pending.slice(0, rows);
      column.pending = column.pending.slice(rows);
      // JSON min/max would be whole documents in the footer (hyparquet never truncates JSON
      // bounds) and prune nothing.
      const statistics = column.type.base !== 'json' && column.type.element?.base !== 'json';
      return { name: column.spec.name, data, statistics };
    });
    await this.parquet.write({ columnData, rowGroupSize: rows });
    this.rowCount += rows;
  }

  private pendingRows(): number {
    return this.columns[0]?.pending.length ?? 0;
  }

  private assertOpen(method: string): void {
    if (this.state !== 'open') throw new Error(`ParquetFileWriter.${method}() called on a ${this.state} writer`);
    // Row groups are encoded into one shared buffer: overlapping calls would interleave them.
    if (this.busy) throw new Error(`ParquetFileWriter.${method}() called while a previous call is still running; await each call`);
  }
}

/** Batches as a writer takes them: an array, any iterable, or an async iterable. */
export type BatchSource = Iterable<ColumnBatch> | AsyncIterable<ColumnBatch>;

/**
 * Writes batches to a local Parquet file (created or truncated).
 * @returns rows, bytes and column statistics written
 */
export async function writeParquetFile(
  path: string,
  specs: readonly ColumnSpec[],
  batches: BatchSource,
  options: ParquetWriteOptions = {},
): Promise<ParquetWriteResult> {
  const sink = await fileSink(path);
  try {
    return await writeAll(new ParquetFileWriter(specs, sink, options), batches);
  } finally {
    await sink.close();
  }
}

/** Writes batches to an in-memory Parquet file. */
export async function writeParquetBuffer(
  specs: readonly ColumnSpec[],
  batches: BatchSource,
  options: ParquetWriteOptions = {},
): Promise<Uint8Array> {
  const sink = memorySink();
  await writeAll(new ParquetFileWriter(specs, sink, options), batches);
  return sink.bytes();
}

async function writeAll(writer: ParquetFileWriter, batches: BatchSource): Promise<ParquetWriteResult> {
  for await (const batch of batches) await writer.writeBatch(batch);
  return writer.close();
}
