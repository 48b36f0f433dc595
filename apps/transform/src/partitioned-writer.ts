import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnBatch, ColumnSpec, DataFile } from '@lake/contracts';
import { type NativeFileResult, NativePartitionedWriter, type NativeSession, type ParquetWriteResult } from '@lake/parquet';
import type { ObjectKey, ObjectStore } from '@lake/storage';
import { type PartitionPairs, partitionKey } from './partition-router.js';

interface OpenFile {
  partition: PartitionPairs;
  /** The file's number in the native writer. */
  id: number;
  /** The partition's file index (its object key's `part-<index>`). */
  index: number;
}

export interface PartitionedWriterOptions {
  store: ObjectStore;
  tmpDir: string;
  specs: ColumnSpec[];
  rowGroupSize: number;
  keyValueMetadata: Record<string, string>;
  /** The object key of a partition's `index`-th file. */
  keyFor(partition: PartitionPairs, index: number): ObjectKey;
  /**
   * Rows held before every open partition file is written and uploaded (`flushIfFull`). They wait in DuckDB
   * (spilled to its temp directory past its memory limit), not in the JavaScript heap. A
   * partition that gets rows again after a flush gets a second file, never a rewrite.
   * @defaultValue 65536
   */
  flushRows?: number;
  /** Partition files uploaded at once during a flush. @defaultValue 8 */
  uploadConcurrency?: number;
  /**
   * Receives each flush's uploaded files (e.g. to record them in the catalog); the writer then
   * keeps only their count. Without it, `finish()` returns every file.
   */
  onFiles?: (files: DataFile[]) => Promise<void>;
}

/** JSON-safe column statistics for payloads and the catalog (bigints become strings). */
function jsonStats(stats: Record<string, { nullCount: number; min?: unknown; max?: unknown }>): DataFile['columnStats'] {
  const safe = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
  return Object.fromEntries(
    Object.entries(stats).map(([k, s]) => [k, { nullCount: s.nullCount, ...(s.min !== undefined ? { min: safe(s.min) } : {}), ...(s.max !== undefined ? { max: safe(s.max) } : {}) }]),
  );
}

/**
 * Writes batches into one Parquet file per partition. Rows of every open partition go into one
 * native writer (one DuckDB table); every `flushRows` rows and at `finish()` each partition's
 * file is written and uploaded. The bench's partitions are small (1.5k rows per study at 1M
 * rows), so a table and a query per file used to cost more than the rows themselves.
 * File names depend only on the partition and its file index, so a retry writes the same keys.
 */
export class PartitionedWriter {
  private writer?: NativePartitionedWriter;
  private readonly open = new Map<string, OpenFile>();
  private readonly byId = new Map<number, OpenFile>();
  private readonly fileCount = new Map<string, number>();
  private readonly done: DataFile[] = [];
  private handed = 0;
  private seq = 0;
  /** Unique per writer: two writers (data and quarantine) share one scratch directory. */
  private readonly tag = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly opts: PartitionedWriterOptions) {}

  async write(key: string, partition: PartitionPairs, batch: ColumnBatch): Promise<void> {
    this.writer ??= await NativePartitionedWriter.open(this.opts.specs, this.nativeOptions());
    const f = this.openFile(key, partition);
    await this.writer.writeBatch(f.id, batch);
  }

  /**
   * Writes and uploads every open file once `flushRows` rows are pending. Callers choose when:
   * between staging files, say, so that a file's few late rows do not start second files.
   */
  async flushIfFull(): Promise<void> {
    if (this.writer && this.writer.pendingRows >= (this.opts.flushRows ?? 65_536)) await this.flush();
  }

  /**
   * Appends the rows of a DuckDB query whose columns are the writer's (see
   * `NativePartitionedWriter.insertQuery`), each to its partition's open file, as `write` would.
   * Returns the rows appended.
   */
  async writeQuery(select: string, partitionBy: readonly string[]): Promise<number> {
    this.writer ??= await NativePartitionedWriter.open(this.opts.specs, this.nativeOptions());
    const rows = await this.writer.insertQuery(select, partitionBy, (values) => {
      const partition: PartitionPairs = partitionBy.map((c, i) => [c, values[i] ?? null]);
      return this.openFile(partitionKey(values), partition).id;
    });
    return rows;
  }

  /** The partition's open file, opened (with the partition's next index) when it has none. */
  private openFile(key: string, partition: PartitionPairs): OpenFile {
    let f = this.open.get(key);
    if (!f) {
      const index = this.fileCount.get(key) ?? 0;
      this.fileCount.set(key, index + 1);
      f = { partition, id: this.seq++, index };
      this.open.set(key, f);
      this.byId.set(f.id, f);
    }
    return f;
  }

  private nativeOptions() {
    // Partition files are small and many: their uploads overlap.
    return { rowGroupSize: this.opts.rowGroupSize, keyValueMetadata: this.opts.keyValueMetadata, onFileConcurrency: this.opts.uploadConcurrency ?? 8 };
  }

  private tmpPath(id: number): string {
    return join(this.opts.tmpDir, `part-${this.tag}-${id}.parquet`);
  }

  /**
   * Writes the rows of a DuckDB query (the writer's columns by name) to a local file in one
   * streaming COPY, never held in a table; `addFile` then makes it a partition's next file.
   * Undefined (and no file) when the query has no rows.
   */
  async copyLocal(session: NativeSession, select: string): Promise<(ParquetWriteResult & { path: string }) | undefined> {
    const path = join(this.opts.tmpDir, `part-${this.tag}-copy.parquet`);
    const written = await session.copyToParquet(select, path, this.opts.specs, { rowGroupSize: this.opts.rowGroupSize, keyValueMetadata: this.opts.keyValueMetadata });
    if (written.rowCount > 0) return { ...written, path };
    await rm(path, { force: true });
    return undefined;
  }

  /**
   * Uploads a file `copyLocal` wrote (rows of one partition) as the partition's next file, hands
   * it on like a flush's files, and removes the local file.
   */
  async addFile(partition: PartitionPairs, written: ParquetWriteResult & { path: string }): Promise<void> {
    const key = partitionKey(partition.map(([, v]) => v));
    const index = this.fileCount.get(key) ?? 0;
    this.fileCount.set(key, index + 1);
    const flushed: DataFile[] = [];
    await this.publish(partition, index, written, flushed);
    await this.hand(flushed);
  }

  /** Uploads a local file as the partition's `index`-th file, adds it to `into`, removes it. */
  private async publish(partition: PartitionPairs, index: number, written: ParquetWriteResult & { path: string }, into: DataFile[]): Promise<void> {
    try {
      const objectKey = this.opts.keyFor(partition, index);
      const put = await this.opts.store.putFile(objectKey, written.path);
      into.push({
        object: { bucket: objectKey.bucket, path: objectKey.path },
        partition,
        rows: written.rowCount,
        bytes: put.size,
        columnStats: jsonStats(written.columnStats),
      });
    } finally {
      await rm(written.path, { force: true });
    }
  }

  private async hand(flushed: DataFile[]): Promise<void> {
    if (this.opts.onFiles) {
      await this.opts.onFiles(flushed);
      this.handed += flushed.length;
    } else {
      this.done.push(...flushed);
    }
  }

  /** Writes and uploads every open file. */
  private async flush(): Promise<void> {
    if (!this.writer || this.open.size === 0) return;
    const flushed: DataFile[] = [];
    const publish = async (written: NativeFileResult) => {
      const f = this.byId.get(written.file) as OpenFile;
      await this.publish(f.partition, f.index, written, flushed);
    };
    try {
      await this.writer.flush((id) => this.tmpPath(id), publish);
    } finally {
      for (const f of this.open.values()) this.byId.delete(f.id);
      this.open.clear();
    }
    await this.hand(flushed);
  }

  /** How many files were written and uploaded so far. */
  get filesWritten(): number {
    return this.handed + this.done.length;
  }

  /** Writes and uploads every open file; returns the files not handed to `onFiles`, in key order. */
  async finish(): Promise<DataFile[]> {
    await this.flush();
    await this.writer?.close();
    this.writer = undefined;
    return [...this.done].sort((a, b) => (a.object.path < b.object.path ? -1 : a.object.path > b.object.path ? 1 : 0));
  }

  /** Releases the native writer and local files after a failure. */
  async abort(): Promise<void> {
    await this.writer?.abort();
    this.writer = undefined;
    for (const f of this.open.values()) await rm(this.tmpPath(f.id), { force: true });
    this.open.clear();
  }
}
