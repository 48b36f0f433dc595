import { Readable } from 'node:stream';
import { type ReadPool, readPoolOf } from './read-pool.js';

/** Whole rows of a COPY's data, one CopyData message each, in PostgreSQL's order. */
export interface RowBlock {
  /** The messages' payloads, back to back; may end inside a row that the next block finishes. */
  bytes: Buffer;
  /** Rows whose last byte is in `bytes`. */
  rows: number;
}

/** A pool buffer and how many of its blocks (and parses) still use it. */
interface Chunk {
  buffer: Buffer;
  pool: ReadPool;
  users: number;
}
const CHUNK = Symbol('lake.chunk');
type PooledBlock = RowBlock & { [CHUNK]?: Chunk };

/**
 * Says a block's bytes are no longer read: its socket buffer may take the next read once every
 * block of it is released. Blocks of a socket without a `ReadPool` ignore it.
 */
export function releaseBlock(block: RowBlock): void {
  const chunk = (block as PooledBlock)[CHUNK];
  if (chunk) release(chunk);
}

function release(chunk: Chunk): void {
  if (--chunk.users === 0) chunk.pool.release(chunk.buffer);
}

/** What a pg connection offers a Submittable that takes over its socket (as pg-copy-streams does). */
interface PgConnection {
  stream: Readable;
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const HEADER = 5; // type byte + Int32 length (which counts itself)

/**
 * `COPY … TO STDOUT` as a stream of `RowBlock`s, read straight off the connection's socket. The
 * CopyData messages' payloads are joined in the socket chunk they arrived in, over their headers:
 * no buffer per chunk or per row (pg-copy-streams kept a slice per message and concatenated them
 * into a new buffer per chunk; at 1M rows the extract's collector spent ~1 s on allocations like
 * these). PostgreSQL sends one CopyData message per row, so rows are counted for free; with
 * `splitEvery`, a block also ends after every `splitEvery` rows, so a consumer can cut the data
 * into parts of exactly that many rows.
 *
 * A pg `Submittable`: `client.query(new CopyOutQuery(text))`. ErrorResponse and everything after
 * CopyDone go back to pg's own parser, which reports the error (`handleError`) or the `COPY n`
 * count (`handleCommandComplete`, kept as `rowCount`).
 *
 * On a `pooledReadSocket` the chunks come from its `ReadPool`'s tap instead of the stream, and a
 * chunk's buffer goes back to the pool once its blocks are released (`releaseBlock`): a consumer
 * that releases each block before taking the next reads the whole COPY into a few buffers.
 */
export class CopyOutQuery extends Readable {
  rowCount = 0;
  private connection?: PgConnection;
  private pgDataHandler?: (chunk: Buffer) => void;
  private readonly onReadable = () => this.forward();
  /** The socket's pool, when it reads into one; `paused`: its tap stopped the reads. */
  private pool?: ReadPool;
  private paused = false;
  /** The pool buffer being parsed, which the blocks pushed meanwhile are views of. */
  private chunk?: Chunk;
  /** Bytes of a message header split across socket chunks. */
  private carry?: Buffer;
  /** Type of the message being read, and how many of its payload bytes are still to come. */
  private code = 0;
  private left = 0;
  private rowsSinceSplit = 0;
  private wanted = false;
  private forwarding = false;
  private done = false;

  constructor(
    readonly text: string,
    private readonly opts: { splitEvery?: number; highWaterMark?: number } = {},
  ) {
    // Blocks, not bytes: a few socket chunks' worth ahead of the consumer.
    super({ objectMode: true, highWaterMark: Math.max(1, Math.ceil((opts.highWaterMark ?? 262_144) / 65_536)) });
  }

  submit(connection: PgConnection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data') as Array<(chunk: Buffer) => void>;
    if (listeners.length !== 1) throw new Error(`expected pg's one data listener on the connection, found ${listeners.length}`);
    this.pgDataHandler = listeners[0];
    const pool = readPoolOf(stream);
    if (pool) {
      // pg's listener hears nothing while the tap is set.
      this.pool = pool;
      pool.tap = (chunk, buffer) => this.tapped(chunk, buffer);
    } else {
      stream.removeListener('data', this.pgDataHandler as (chunk: Buffer) => void);
      stream.pause();
      stream.on('readable', this.onReadable);
    }
    connection.query(this.text);
  }

  override _read(): void {
    this.wanted = true;
    if (!this.pool) {
      this.forward();
    } else if (this.paused && !this.done) {
      this.paused = false;
      this.pool.resume();
    }
  }

  /** A chunk from the socket's pool; false stops the socket's reads until the consumer wants more. */
  private tapped(input: Buffer, buffer: Buffer): boolean {
    const chunk: Chunk = { buffer, pool: this.pool as ReadPool, users: 1 };
    this.chunk = chunk;
    try {
      this.parse(input);
    } finally {
      this.chunk = undefined;
      release(chunk);
    }
    if (this.done || this.wanted) return true;
    this.paused = true;
    return false;
  }

  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(msg: { text?: string } | undefined): void {
    const match = /COPY (\d+)/.exec(msg?.text ?? '');
    if (match) this.rowCount = Number.parseInt(match[1] as string, 10);
  }

  handleReadyForQuery(): void {}

  /** Reads socket chunks while the consumer wants blocks. */
  private forward(): void {
    if (this.forwarding || this.done || !this.connection) return;
    this.forwarding = true;
    try {
      let chunk: Buffer | null;
      while (this.wanted && !this.done && (chunk = this.connection.stream.read() as Buffer | null) !== null) this.parse(chunk);
    } finally {
      this.forwarding = false;
    }
  }

  private parse(input: Buffer): void {
    const chunk = this.carry ? Buffer.concat([this.carry, input]) : input;
    // Blocks of a joined chunk are views of the new buffer, not of the pool's.
    const pooled = this.carry ? undefined : this.chunk;
    this.carry = undefined;
    const { splitEvery = 0 } = this.opts;
    // Payloads are moved down over the headers in the chunk itself (never past where the parse
    // is), so the blocks are consecutive views of it: nothing is allocated per chunk or per row.
    let blockStart = 0;
    let end = 0;
    let rows = 0;
    const emit = () => {
      if (end === blockStart && rows === 0) return;
      const block: PooledBlock = { bytes: chunk.subarray(blockStart, end), rows };
      if (pooled) {
        pooled.users++;
        block[CHUNK] = pooled;
      }
      this.wanted = this.push(block) && this.wanted;
      blockStart = end;
      rows = 0;
    };
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0 && this.code === 0) {
        if (chunk.length - at < HEADER) {
          this.carry = Buffer.from(chunk.subarray(at));
          break;
        }
        const code = chunk[at] as number;
        if (code === ERROR_RESPONSE) {
          // pg parses the error and calls handleError.
          emit();
          this.detach(chunk.subarray(at));
          return;
        }
        this.code = code;
        this.left = chunk.readUInt32BE(at + 1) - 4;
        at += HEADER;
      }
      const n = Math.min(this.left, chunk.length - at);
      if (this.code === COPY_DATA) {
        if (end !== at) chunk.copyWithin(end, at, at + n);
        end += n;
      }
      at += n;
      this.left -= n;
      if (this.left > 0) break;
      const code = this.code;
      this.code = 0;
      if (code === COPY_DATA) {
        rows++;
        if (splitEvery > 0 && ++this.rowsSinceSplit === splitEvery) {
          this.rowsSinceSplit = 0;
          emit();
        }
      } else if (code === COPY_DONE) {
        emit();
        this.detach(chunk.subarray(at));
        this.push(null);
        return;
      }
      // CopyOutResponse, notices, parameter status: nothing of the data.
    }
    emit();
  }

  /** Hands the socket back to pg with the bytes it has not seen. */
  private detach(unread: Buffer): void {
    this.done = true;
    const connection = this.connection as PgConnection;
    const handler = this.pgDataHandler as (chunk: Buffer) => void;
    if (this.pool) {
      // pg keeps views of what it is given; the pool buffer goes back.
      this.pool.tap = undefined;
      handler(Buffer.from(unread));
      return;
    }
    connection.stream.removeListener('readable', this.onReadable);
    connection.stream.addListener('data', handler);
    handler(unread);
    // pg's handler may pause the stream at its high-water mark; resume once it has returned.
    process.nextTick(() => connection.stream.resume());
  }
}
