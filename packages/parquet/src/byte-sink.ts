/**
 * Where written Parquet bytes go. The writer hands the sink one chunk per row group (plus the
 * footer on close), so a writer holds at most one encoded row group in memory.
 */
import { open } from 'node:fs/promises';
import { ByteWriter } from 'hyparquet-writer';

/** An async byte sink. Chunks are never reused by the writer after `write` is called. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** A sink that can also be closed (releases its file handle). */
export interface ClosableByteSink extends ByteSink {
  close(): Promise<void>;
}

/**
 * A hyparquet-writer `Writer` that drains its buffer into a sink on every `flush()`.
 * hyparquet-writer's `ParquetWriter` calls `flush()` after each row group and awaits a returned
 * promise before encoding the next, which gives us back-pressure from the sink for free.
 * `offset` keeps counting all bytes ever written (hyparquet uses it for file offsets);
 * `index` is the position in the current buffer, reset after each flush.
 */
export class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super();
  }

  flush(): Promise<void> {
    if (this.index === 0) return Promise.resolve();
    // Copy: the buffer is reused for the next row group while the sink may still hold the chunk.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return Promise.resolve(this.sink.write(chunk));
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** A sink appending to a new (or truncated) local file. */
export async function fileSink(path: string): Promise<ClosableByteSink> {
  const handle = await open(path, 'w');
  return {
    async write(chunk) {
      // FileHandle.write may write fewer bytes than asked; loop until the chunk is out.
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
        done += bytesWritten;
      }
    },
    close: () => handle.close(),
  };
}

/** A sink collecting every chunk in memory; `bytes()` concatenates them. */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write(chunk) {
      chunks.push(chunk);
    },
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return out;
    },
  };
}
