import type { ColumnBatch, LakeValue } from '@lake/contracts';
import { CopyFormatError } from './copy-format-error.js';
import { decodeRows } from './decode-rows.js';
import { type ColumnDescriptor, isPgType } from './pg-type.js';
import { type RowCursor, typeCodeOf } from './row-cursor.js';

/** Options for {@link BinaryCopyDecoder}. */
export interface BinaryCopyDecoderOptions {
  /**
   * Rows per emitted batch; the last batch may be shorter.
   * @defaultValue 65536
   */
  batchRows?: number;
}

/** "PGCOPY\n\377\r\n\0": the 11-byte signature of the binary COPY format. */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
/** Signature, int32 flags, int32 header extension length. */
const HEADER_BYTES = 19;
/** Flag bits 16-31 mark format changes a reader must not ignore; bit 16 means rows carry OIDs. */
const CRITICAL_FLAGS = 0xffff0000;
const EMPTY = Buffer.alloc(0);

/**
 * Decodes PostgreSQL's `COPY … TO STDOUT (FORMAT binary)` stream into lake `ColumnBatch`es.
 *
 * Feed it chunks in order with {@link push} (rows may be split anywhere) and call {@link finish}
 * at the end, or hand it the whole source with {@link decode}. Values follow the lake's in-memory
 * representation (`@lake/contracts` lake-type.ts); a value the lake cannot hold, or bytes that do
 * not match the format or the descriptors, throw a {@link CopyFormatError} naming column and row.
 *
 * Only the bytes of a row cut off by a chunk boundary are kept between chunks, and they are joined
 * with the following chunks once enough bytes for the field that was cut off have arrived.
 */
export class BinaryCopyDecoder {
  readonly descriptors: readonly ColumnDescriptor[];
  readonly batchRows: number;
  readonly #cursor: RowCursor;
  #headerRead = false;
  /** Unconsumed bytes: the start of a cut-off row (or header) and the chunks after it. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** `#pending` is not decoded again before it holds this many bytes. */
  #need = 0;
  #finished = false;

  constructor(descriptors: readonly ColumnDescriptor[], options: BinaryCopyDecoderOptions = {}) {
    const batchSize = options.batchRows ?? 65_536;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`batchRows must be a positive integer, got ${batchSize}`);
    }
    const seen = new Set<string>();
    for (const d of descriptors) {
      if (!isPgType(d.pgType)) throw new Error(`column "${d.name}": unsupported pgType "${d.pgType}"`);
      if (seen.has(d.name) || d.name === '__proto__') throw new Error(`column name "${d.name}" is duplicate or reserved`);
      seen.add(d.name);
    }
    this.descriptors = descriptors;
    this.batchRows = batchSize;
    this.#cursor = {
      descriptors,
      codes: descriptors.map((d) => typeCodeOf(d.pgType)),
      buf: EMPTY,
      view: new DataView(EMPTY.buffer, EMPTY.byteOffset, 0),
      pos: 0,
      end: 0,
      columns: descriptors.map(() => [] as LakeValue[]),
      rowCount: 0,
      batchSize,
      rowBase: 0,
      need: 0,
      done: false,
    };
  }

  /** Rows decoded so far, including those of the batch not yet emitted. */
  get rowCount(): number {
    return this.#cursor.rowBase + this.#cursor.rowCount;
  }

  /** Consumes the next chunk of the stream; returns the batches it completed (usually none or one). */
  push(chunk: Uint8Array): ColumnBatch[] {
    if (this.#finished) throw new Error('BinaryCopyDecoder.push() called after finish()');
    if (chunk.length === 0) return [];
    const c = this.#cursor;
    if (c.done) throw this.#afterTrailer(chunk.length);
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#pendingBytes > 0) {
      this.#pending.push(buf);
      this.#pendingBytes += buf.length;
      if (this.#pendingBytes < this.#need) return [];
      buf = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    c.buf = buf;
    c.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    c.pos = 0;
    c.end = buf.length;

    const batches: ColumnBatch[] = [];
    if (this.#headerRead || this.#readHeader()) {
      for (;;) {
        decodeRows(c);
        if (c.rowCount < c.batchSize) break;
        batches.push(this.#takeBatch(false));
      }
      if (c.done && c.pos < c.end) throw this.#afterTrailer(c.end - c.pos);
    }
    if (c.pos < c.end) {
      this.#pending = [buf.subarray(c.pos)];
      this.#pendingBytes = c.end - c.pos;
      this.#need = c.need;
    }
    c.buf = EMPTY;
    return batches;
  }

  /**
   * Ends the stream: checks that the trailer arrived and returns the last, partial batch, or null
   * when there are no rows left to emit.
   */
  finish(): ColumnBatch | null {
    if (this.#finished) return null;
    this.#finished = true;
    const c = this.#cursor;
    if (!this.#headerRead) {
      throw new CopyFormatError(
        `COPY stream ended after ${this.#pendingBytes} bytes, inside the header; the data is truncated or not binary COPY`,
      );
    }
    if (!c.done) throw this.#truncated();
    return c.rowCount > 0 ? this.#takeBatch(true) : null;
  }

  /** Decodes a whole stream of chunks, such as {@link copyOutBinary}'s, into batches. */
  async *decode(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<ColumnBatch, void, undefined> {
    for await (const chunk of source) {
      yield* this.push(chunk);
    }
    const last = this.finish();
    if (last !== null) yield last;
  }

  /** Reads the header at the cursor; false if more bytes are needed. */
  #readHeader(): boolean {
    const c = this.#cursor;
    const available = c.end - c.pos;
    const compare = Math.min(available, SIGNATURE.length);
    if (c.buf.compare(SIGNATURE, 0, compare, c.pos, c.pos + compare) !== 0) {
      const got = c.buf.subarray(c.pos, c.pos + compare).toString('hex');
      throw new CopyFormatError(
        `not a binary COPY stream: signature bytes ${got}, expected ${SIGNATURE.subarray(0, compare).toString('hex')}`,
      );
    }
    if (available < HEADER_BYTES) {
      c.need = HEADER_BYTES;
      return false;
    }
    const flags = c.view.getUint32(c.pos + 11);
    if ((flags & CRITICAL_FLAGS) !== 0) {
      throw new CopyFormatError(
        `binary COPY header flags 0x${flags.toString(16)} set critical bits (16 = rows carry OIDs), which this decoder does not read`,
      );
    }
    const extension = c.view.getInt32(c.pos + 15);
    if (extension < 0) throw new CopyFormatError(`binary COPY header extension length ${extension} is negative`);
    if (available < HEADER_BYTES + extension) {
      c.need = HEADER_BYTES + extension;
      return false;
    }
    c.pos += HEADER_BYTES + extension;
    this.#headerRead = true;
    return true;
  }

  #takeBatch(last: boolean): ColumnBatch {
    const c = this.#cursor;
    const columns: Record<string, LakeValue[]> = {};
    for (let k = 0; k < c.columns.length; k++) {
      const values = c.columns[k] as LakeValue[];
      if (values.length !== c.rowCount) values.length = c.rowCount;
      columns[(this.descriptors[k] as ColumnDescriptor).name] = values;
      if (!last) c.columns[k] = [] as LakeValue[];
    }
    const batch: ColumnBatch = { rowCount: c.rowCount, columns };
    c.rowBase += c.rowCount;
    c.rowCount = 0;
    return batch;
  }

  #afterTrailer(bytes: number): CopyFormatError {
    return new CopyFormatError(`${bytes} bytes of data after the binary COPY trailer`);
  }

  /** Says where the stream broke off: which row, and inside which column. */
  #truncated(): CopyFormatError {
    const c = this.#cursor;
    const rowIndex = c.rowBase + c.rowCount;
    if (this.#pendingBytes === 0) {
      return new CopyFormatError(
        `COPY stream ended after row index ${rowIndex - 1} without the trailer; the data is truncated`,
        { rowIndex },
      );
    }
    const rest = Buffer.concat(this.#pending, this.#pendingBytes);
    let pos = 2;
    let k = 0;
    if (rest.length >= 2) {
      for (; k < this.descriptors.length && pos + 4 <= rest.length; k++) {
        const len = rest.readInt32BE(pos);
        pos += 4 + Math.max(len, 0);
        if (pos > rest.length) break;
      }
    }
    const column = rest.length >= 2 ? this.descriptors[Math.min(k, this.descriptors.length - 1)]?.name : undefined;
    return new CopyFormatError(
      `COPY stream ended inside row index ${rowIndex}` +
        (column === undefined ? '' : `, in column "${column}"`) +
        ` (${rest.length} bytes of the row received); the data is truncated`,
      { rowIndex, ...(column === undefined ? {} : { column }) },
    );
  }
}
