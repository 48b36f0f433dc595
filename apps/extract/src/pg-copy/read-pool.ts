import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';

/** Bytes of one socket read: what Node's streams read at a time. */
const READ_BYTES = 64 * 1024;
/** Free buffers a pool keeps; a COPY consumer holds a few chunks at a time. */
const MAX_FREE = 16;

/** Where a pooled socket's pool is, for a COPY reader to find on pg's connection (`readPoolOf`). */
const READ_POOL = Symbol('lake.readPool');

/**
 * The buffers a socket reads into (Node's `onread`), taken back once their bytes are used. A
 * socket read otherwise lands in a new 64 KB buffer each time, and V8 counts every one as external
 * memory until a full collection frees it: at 1M observations the extract's ~130 MB of CSV made
 * ~13 full collections, ~1.3 CPU-s on its main and helper threads. A COPY reader that releases its
 * chunks (`CopyOutQuery`, `copyOutRows` with `reuseBuffers`) reads the whole COPY into the same few
 * buffers.
 *
 * Chunks go to `tap` while one is set (a COPY reader), else to the socket's `data` listeners (pg's
 * parser), which keep views of what they are given: such a buffer is never taken back.
 */
export class ReadPool {
  /** Receives each chunk and the pool buffer it is a view of; false stops reading (see `resume`). */
  tap?: (chunk: Buffer, buffer: Buffer) => boolean;
  private readonly free: Buffer[] = [];
  /** Buffers taken from the pool (new or reused), for tests. */
  taken = 0;
  /** Buffers the pool had to allocate. */
  allocated = 0;

  constructor(private readonly socket: Socket) {}

  /** The buffer for the next read. */
  take(): Buffer {
    this.taken++;
    const reused = this.free.pop();
    if (reused) return reused;
    this.allocated++;
    return Buffer.allocUnsafeSlow(READ_BYTES);
  }

  /** Gives back a buffer `take` returned, once nothing reads its bytes any more. */
  release(buffer: Buffer): void {
    if (this.free.length < MAX_FREE && buffer.length === READ_BYTES) this.free.push(buffer);
  }

  /** Starts reading again after the tap returned false. */
  resume(): void {
    // Node's own restart of a socket's reads (`tryReadStart`, a no-op while it reads): with
    // `onread` nothing is pushed into the readable side, so `socket.resume()` would not reach it.
    (this.socket as unknown as { _read(size: number): void })._read(0);
  }

  /** `onread`'s callback: `nread` bytes were read into `buffer`. */
  onRead(nread: number, buffer: Buffer): boolean {
    const chunk = buffer.subarray(0, nread);
    if (this.tap) return this.tap(chunk, buffer);
    this.socket.emit('data', chunk);
    return true;
  }
}

/**
 * A socket for pg's `stream` option that reads into a `ReadPool` (`readPoolOf` finds it). With TLS,
 * pg wraps the socket it is given, so `ssl` connections get a plain socket and no pool.
 */
export function pooledReadSocket(config?: { ssl?: unknown }): Socket {
  if (config?.ssl) return new Socket();
  let pool: ReadPool | undefined;
  const onread: OnReadOpts = { buffer: () => (pool as ReadPool).take(), callback: (nread, buffer) => (pool as ReadPool).onRead(nread, buffer as Buffer) };
  // Node's Socket takes `onread` as `connect` does (lib/net.js); its types list it for connect only.
  const socket = new Socket({ onread } as SocketConstructorOpts);
  pool = new ReadPool(socket);
  Object.defineProperty(socket, READ_POOL, { value: pool });
  return socket;
}

/** The pool a socket reads into, if it is a `pooledReadSocket`. */
export function readPoolOf(socket: unknown): ReadPool | undefined {
  return (socket as { [READ_POOL]?: ReadPool })[READ_POOL];
}
