/**
 * Reading lake Parquet files back into column batches, one row group at a time, with hyparquet.
 */
import type { ColumnBatch, ColumnSpec, LakeValue, ParsedLakeType } from '@lake/contracts';
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetRead, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { columnFromPhysical } from './lake-values.js';
import type { ParquetSource } from './parquet-source.js';
import { columnSpecsFromMetadata, parseColumnType, REQUIRED_COLUMNS_KEY } from './parquet-schema.js';

/** A file's footer, in lake terms. */
export interface ParquetFileInfo {
  rowCount: number;
  columns: ColumnSpec[];
  rowGroups: { rowCount: number; byteSize: number }[];
  keyValueMetadata: Record<string, string>;
  createdBy?: string;
  /** hyparquet's decoded footer, for callers that need more (e.g. per-row-group statistics). */
  raw: FileMetaData;
}

/** Options of `readParquetBatches`. */
export interface ReadBatchesOptions {
  /** Columns to read, in the order wanted. @defaultValue every column */
  columns?: string[];
  /** Largest batch to yield; a batch never spans row groups. @defaultValue one batch per row group */
  batchRows?: number;
  /** A footer already read with `readParquetMetadata`, to skip reading it again. */
  metadata?: ParquetFileInfo;
}

/** Reads and decodes a file's footer. */
export async function readParquetMetadata(source: ParquetSource): Promise<ParquetFileInfo> {
  const raw = await parquetMetadataAsync(asyncBuffer(source));
  const keyValueMetadata: Record<string, string> = {};
  for (const { key, value } of raw.key_value_metadata ?? []) {
    if (key !== REQUIRED_COLUMNS_KEY) keyValueMetadata[key] = value ?? '';
  }
  return {
    rowCount: Number(raw.num_rows),
    columns: columnSpecsFromMetadata(raw),
    rowGroups: raw.row_groups.map((group) => ({
      rowCount: Number(group.num_rows),
      byteSize: Number(group.total_compressed_size ?? group.total_byte_size),
    })),
    keyValueMetadata,
    ...(raw.created_by === undefined ? {} : { createdBy: raw.created_by }),
    raw,
  };
}

/** Reads a file's key-value metadata (the embedded dataset contract, among others). */
export async function readKeyValueMetadata(source: ParquetSource): Promise<Record<string, string>> {
  return (await readParquetMetadata(source)).keyValueMetadata;
}

/**
 * Yields a file's rows as lake column batches, reading and decoding one row group at a time,
 * so memory is bounded by a row group whatever the file size.
 */
export async function* readParquetBatches(source: ParquetSource, options: ReadBatchesOptions = {}): AsyncGenerator<ColumnBatch> {
  const info = options.metadata ?? (await readParquetMetadata(source));
  const batchRows = options.batchRows ?? Number.POSITIVE_INFINITY;
  if (!(batchRows >= 1)) throw new RangeError(`batchRows must be at least 1, got ${options.batchRows}`);
  const selected = selectColumns(info.columns, options.columns);
  const types = new Map(selected.map((spec) => [spec.name, parseColumnType(spec)]));
  const file = asyncBuffer(source);
  const metadata = physicalReadMetadata(info.raw);

  let groupStart = 0;
  for (const group of info.rowGroups) {
    const columns = await readRowGroup(file, metadata, types, groupStart, group.rowCount);
    for (let start = 0; start < group.rowCount; start += batchRows) {
      const end = Math.min(group.rowCount, start + batchRows);
      const whole = start === 0 && end === group.rowCount;
      const batch: ColumnBatch = { rowCount: end - start, columns: {} };
      for (const [name, values] of columns) batch.columns[name] = whole ? values : values.slice(start, end);
      yield batch;
    }
    groupStart += group.rowCount;
  }
}

async function readRowGroup(
  file: AsyncBuffer,
  metadata: FileMetaData,
  types: Map<string, ParsedLakeType>,
  rowStart: number,
  rowCount: number,
): Promise<Map<string, LakeValue[]>> {
  const out = new Map<string, LakeValue[]>();
  for (const name of types.keys()) out.set(name, new Array<LakeValue>(rowCount).fill(null));
  if (types.size === 0 || rowCount === 0) return out;
  await parquetRead({
    file,
    metadata,
    compressors,
    columns: [...types.keys()],
    rowStart,
    rowEnd: rowStart + rowCount,
    // onChunk hands over decoded column pages (columnar, no row objects to transpose).
    onChunk({ columnName, columnData, rowStart: chunkStart }) {
      const type = types.get(columnName);
      const target = out.get(columnName);
      if (!type || !target) return;
      const values = columnFromPhysical(type, columnData);
      const offset = chunkStart - rowStart;
      for (let i = 0; i < values.length; i++) target[offset + i] = values[i] as LakeValue;
    },
  });
  return out;
}

function selectColumns(all: ColumnSpec[], names: string[] | undefined): ColumnSpec[] {
  if (!names) return all;
  return names.map((name) => {
    const spec = all.find((column) => column.name === name);
    if (!spec) throw new Error(`column "${name}" is not in the file (columns: ${all.map((c) => c.name).join(', ')})`);
    return spec;
  });
}

/**
 * The footer as hyparquet should decode it: without the DECIMAL, DATE, TIMESTAMP and JSON
 * annotations. hyparquet would turn decimals into lossy floats, timestamps into Dates (losing
 * microseconds), dates into Dates and JSON into parsed objects; the lake keeps canonical
 * strings, bigint microseconds, day numbers and JSON text, which come straight from the
 * physical values.
 */
function physicalReadMetadata(metadata: FileMetaData): FileMetaData {
  return { ...metadata, schema: metadata.schema.map(physicalElement) };
}

function physicalElement(element: SchemaElement): SchemaElement {
  const converted = element.converted_type;
  const logical = element.logical_type?.type;
  const strip = ['DECIMAL', 'DATE', 'TIMESTAMP_MICROS', 'TIMESTAMP_MILLIS'].includes(converted ?? '') || ['DECIMAL', 'DATE', 'TIMESTAMP'].includes(logical ?? '');
  if (strip) {
    const { converted_type: _c, logical_type: _l, ...rest } = element;
    return rest;
  }
  if (converted === 'JSON' || logical === 'JSON') return { ...element, converted_type: 'UTF8', logical_type: { type: 'STRING' } };
  return element;
}

function asyncBuffer(source: ParquetSource): AsyncBuffer {
  return { byteLength: source.byteLength, slice: (start, end = source.byteLength) => source.slice(start, end) };
}
