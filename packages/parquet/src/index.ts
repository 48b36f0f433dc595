export { type ByteSink, type ClosableByteSink, fileSink, memorySink } from './byte-sink.js';
export type { ColumnStats } from './column-stats.js';
export type { ParquetCompression } from './compression.js';
export {
  configureNativeWriter,
  duckdbParquetFormat,
  duckdbType,
  identifier as duckdbIdentifier,
  literal as duckdbLiteral,
  type NativeFileResult,
  NativePartitionedWriter,
  NativeParquetWriter,
  NativeSession,
  type NativeParquetWriteOptions,
  type NativeWriterSettings,
} from './duckdb-parquet-writer.js';
export { formatDecimal, parseDecimal } from './lake-values.js';
export {
  type BatchSource,
  DEFAULT_ROW_GROUP_SIZE,
  ParquetFileWriter,
  type ParquetWriteOptions,
  type ParquetWriteResult,
  writeParquetBuffer,
  writeParquetFile,
} from './parquet-file-writer.js';
export {
  type ParquetFileInfo,
  type ReadBatchesOptions,
  readKeyValueMetadata,
  readParquetBatches,
  readParquetMetadata,
} from './parquet-reader.js';
export { columnSpecsFromMetadata, lakeSchema } from './parquet-schema.js';
export { bufferSource, fileSource, type ParquetSource } from './parquet-source.js';
