/**
 * Random-access byte sources that the reader reads Parquet from (hyparquet's AsyncBuffer shape).
 * The storage package supplies range-read sources over object stores.
 */
import { open, stat } from 'node:fs/promises';

/** A file-like object read by byte ranges: `slice(start, end)` returns bytes [start, end). */
export interface ParquetSource {
  byteLength: number;
  slice(start: number, end: number): Promise<ArrayBuffer>;
}

/**
 * A source over a local file. Each slice opens, reads and closes the file, so the source
 * holds no handle between reads and needs no closing (a few opens per row group are cheap
 * next to decoding it).
 */
export async function fileSource(path: string): Promise<ParquetSource> {
  const { size } = await stat(path);
  return {
    byteLength: size,
    async slice(start, end) {
      const length = Math.max(0, Math.min(end, size) - start);
      const bytes = new Uint8Array(length);
      const handle = await open(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
          if (bytesRead === 0) throw new Error(`file "${path}" ended at byte ${start + done}, expected ${size} bytes`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return bytes.buffer;
    },
  };
}

/** A source over bytes in memory. */
export function bufferSource(bytes: Uint8Array): ParquetSource {
  return {
    byteLength: bytes.byteLength,
    async slice(start, end) {
      const from = bytes.byteOffset + start;
      return bytes.buffer.slice(from, bytes.byteOffset + Math.min(end, bytes.byteLength)) as ArrayBuffer;
    },
  };
}
