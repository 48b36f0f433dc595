import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnBatch, ColumnSpec, DataFile } from '@lake/contracts';
import { NativeParquetWriter } from '@lake/parquet';
import type { ObjectKey, ObjectStore } from '@lake/storage';
import type { PartitionPairs } from './partition-router.js';

interface OpenFile {
  partition: PartitionPairs;
  writer: NativeParquetWriter;
  tmp: string;
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
   * Partition files open at once. Rows arrive ordered by partition, so one or two suffice; a
   * partition seen again after its file was closed gets a second file, never a rewrite.
   * @defaultValue 4
   */
  maxOpen?: number;
}

/** JSON-safe column statistics for payloads and the catalog (bigints become strings). */
function jsonStats(stats: Record<string, { nullCount: number; min?: unknown; max?: unknown }>): DataFile['columnStats'] {
  const safe = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
  return Object.fromEntries(
    Object.entries(stats).map(([k, s]) => [k, { nullCount: s.nullCount, ...(s.min !== undefined ? { min: safe(s.min) } : {}), ...(s.max !== undefined ? { max: safe(s.max) } : {}) }]),
  );
}

/**
 * Writes batches into one Parquet file per partition, uploading each file as soon as it is
 * closed: at most `maxOpen` files are open (their rows wait in DuckDB, which spills them to its
 * temp directory past its memory limit), local disk holds at most `maxOpen` files.
 * File names depend only on the partition and its file index, so a retry writes the same keys.
 */
export class PartitionedWriter {
  private readonly open = new Map<string, OpenFile>();
  private readonly fileCount = new Map<string, number>();
  private readonly done: DataFile[] = [];
  private seq = 0;
  /** Unique per writer: two writers (data and quarantine) share one scratch directory. */
  private readonly tag = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly opts: PartitionedWriterOptions) {}

  async write(key: string, partition: PartitionPairs, batch: ColumnBatch): Promise<void> {
    let f = this.open.get(key);
    if (!f) {
      if (this.open.size >= (this.opts.maxOpen ?? 4)) {
        const [oldest] = this.open.keys();
        await this.publish(oldest as string);
      }
      const index = this.fileCount.get(key) ?? 0;
      this.fileCount.set(key, index + 1);
      const tmp = join(this.opts.tmpDir, `part-${this.tag}-${this.seq++}.parquet`);
      const writer = await NativeParquetWriter.open(tmp, this.opts.specs, { rowGroupSize: this.opts.rowGroupSize, keyValueMetadata: this.opts.keyValueMetadata });
      f = { partition, tmp, index, writer };
      this.open.set(key, f);
    } else {
      // Most recently used last, so eviction takes the partition least likely to come back.
      this.open.delete(key);
      this.open.set(key, f);
    }
    await f.writer.writeBatch(batch);
  }

  private async publish(key: string): Promise<void> {
    const f = this.open.get(key);
    if (!f) return;
    this.open.delete(key);
    try {
      const written = await f.writer.close();
      const objectKey = this.opts.keyFor(f.partition, f.index);
      const put = await this.opts.store.putFile(objectKey, f.tmp);
      this.done.push({
        object: { bucket: objectKey.bucket, path: objectKey.path },
        partition: f.partition,
        rows: written.rowCount,
        bytes: put.size,
        columnStats: jsonStats(written.columnStats),
      });
    } finally {
      await rm(f.tmp, { force: true });
    }
  }

  /** Closes and uploads every open file; returns all files written, in key order. */
  async finish(): Promise<DataFile[]> {
    for (const key of [...this.open.keys()]) await this.publish(key);
    return [...this.done].sort((a, b) => (a.object.path < b.object.path ? -1 : a.object.path > b.object.path ? 1 : 0));
  }

  /** Releases local files after a failure. */
  async abort(): Promise<void> {
    for (const f of this.open.values()) {
      await f.writer.abort();
      await rm(f.tmp, { force: true });
    }
    this.open.clear();
  }
}
