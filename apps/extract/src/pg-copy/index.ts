export { BinaryCopyDecoder, type BinaryCopyDecoderOptions } from './binary-copy-decoder.js';
export { CopyFormatError } from './copy-format-error.js';
export { type CopyOutOptions, type CopyOutRowsOptions, copyOut, copyOutBinary, copyOutRows } from './copy-out.js';
export type { RowBlock } from './copy-out-query.js';
export { copyOutColumnBatches } from './copy-out-batches.js';
export { describeQuery } from './describe-query.js';
export { type ColumnDescriptor, type PgType, PG_TYPE_BY_OID, isPgType } from './pg-type.js';
export { pooledReadSocket, ReadPool, readPoolOf } from './read-pool.js';
