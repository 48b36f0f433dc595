import { type ColumnBatch, type ColumnSpec, FILE_STAGING, FILE_STAGING_COLUMNS, type LakeValue } from '@lake/contracts';
import { type ClosableByteSink, ParquetFileWriter, fileSink } from '@lake/parquet';
import type { StagedRecord } from './staged-record.js';

/** Rows buffered before a batch goes to the Parquet writer: bounded memory for wide rows too. */
const BATCH_ROWS = 4096;

/**
 * Writes staged records of one file as staging Parquet: one column per contract field in its
 * staged type, plus the `__` columns that locate each row in its file.
 */
export class StagingWriter {
  readonly specs: ColumnSpec[];
  private readonly writer: ParquetFileWriter;
  private columns: Record<string, LakeValue[]> = {};
  private buffered = 0;
  rows = 0;

  private constructor(
    fields: ColumnSpec[],
    private readonly sink: ClosableByteSink,
    private readonly sourceFile: string,
    metadata: Record<string, string>,
    rowGroupSize: number,
  ) {
    this.specs = [...fields, ...FILE_STAGING_COLUMNS];
    this.writer = new ParquetFileWriter(this.specs, sink, { rowGroupSize, keyValueMetadata: { ...metadata, 'lake.columns': JSON.stringify(this.specs) } });
    this.reset();
  }

  static async open(path: string, fields: ColumnSpec[], sourceFile: string, metadata: Record<string, string>, rowGroupSize: number): Promise<StagingWriter> {
    return new StagingWriter(fields, await fileSink(path), sourceFile, metadata, rowGroupSize);
  }

  private reset(): void {
    this.columns = Object.fromEntries(this.specs.map((s) => [s.name, []]));
    this.buffered = 0;
  }

  async add(r: StagedRecord): Promise<void> {
    for (const s of this.specs) {
      const col = this.columns[s.name] as LakeValue[];
      switch (s.name) {
        case FILE_STAGING.sourceFile:
          col.push(r.file ?? this.sourceFile);
          break;
        case FILE_STAGING.line:
          col.push(BigInt(r.line));
          break;
        case FILE_STAGING.errors:
          col.push(r.errors.length > 0 ? JSON.stringify(r.errors) : null);
          break;
        case FILE_STAGING.record:
          col.push(r.record);
          break;
        case FILE_STAGING.header:
          col.push(r.header);
          break;
        default:
          col.push(r.values[s.name] ?? null);
      }
    }
    this.buffered++;
    this.rows++;
    if (this.buffered >= BATCH_ROWS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const batch: ColumnBatch = { rowCount: this.buffered, columns: this.columns };
    this.reset();
    await this.writer.writeBatch(batch);
  }

  async close(): Promise<number> {
    await this.flush();
    const written = await this.writer.close();
    await this.sink.close();
    return written.rowCount;
  }

  async abort(): Promise<void> {
    await this.sink.close().catch(() => undefined);
  }
}
