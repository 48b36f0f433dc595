/**
 * Page compression for writing. hyparquet-writer has Snappy built in; hyparquet-compressors only
 * decompresses, so ZSTD compression comes from the zstd WebAssembly build, whose module must be
 * initialised (asynchronously, once) before the synchronous page encoder calls it.
 */
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import type { CompressionCodec } from 'hyparquet';
import type { ParquetWriter } from 'hyparquet-writer';

type Compressors = NonNullable<ConstructorParameters<typeof ParquetWriter>[0]['compressors']>;

/** Page compression of a written file. */
export type ParquetCompression = 'zstd' | 'snappy' | 'uncompressed';

/** zstd level 3 is zstd's own default: most of the ratio at a fraction of the CPU of higher levels. */
const ZSTD_LEVEL = 3;

let zstdReady: Promise<void> | undefined;

/** The Parquet codec and compressors for a compression option; awaits the zstd module if needed. */
export async function pageCompression(compression: ParquetCompression): Promise<{ codec: CompressionCodec; compressors: Compressors }> {
  switch (compression) {
    case 'zstd':
      zstdReady ??= zstdInit();
      await zstdReady;
      return { codec: 'ZSTD', compressors: { ZSTD: (input) => zstdCompress(input, ZSTD_LEVEL) } };
    case 'snappy':
      return { codec: 'SNAPPY', compressors: {} };
    case 'uncompressed':
      return { codec: 'UNCOMPRESSED', compressors: {} };
    default:
      throw new Error(`unknown compression "${String(compression)}" (expected zstd, snappy or uncompressed)`);
  }
}
