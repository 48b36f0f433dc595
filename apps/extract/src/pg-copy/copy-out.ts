import type { Readable } from 'node:stream';
import type { ClientBase } from 'pg';
import { CopyOutQuery, type RowBlock, releaseBlock } from './copy-out-query.js';

/** Options for {@link copyOut}. */
export interface CopyOutOptions {
  /**
   * Bytes the COPY stream buffers ahead of the consumer before it stops reading the socket.
   * @defaultValue 262144
   */
  highWaterMark?: number;
  /**
   * PostgreSQL's COPY format: `binary` for the decoder, `csv` for DuckDB (csv-stage.ts).
   * @defaultValue 'binary'
   */
  format?: 'binary' | 'csv';
  /** Called once the COPY completed, with the row count PostgreSQL reports for it (`COPY n`). */
  onRowCount?: (rows: number) => void;
}

/** Options for {@link copyOutRows}. */
export interface CopyOutRowsOptions extends CopyOutOptions {
  /** End a block after every this many rows (0: only where socket chunks end). @defaultValue 0 */
  splitEvery?: number;
  /**
   * A block's bytes are read only until the consumer asks for the next block: on a
   * `pooledReadSocket` they are then given back to its pool and take a later read.
   * @defaultValue false
   */
  reuseBuffers?: boolean;
}

/**
 * Runs `COPY (sql) TO STDOUT (FORMAT binary)` (or `csv`) on an already-connected client and yields the raw
 * COPY data as it arrives. Reading is paced by the consumer: while it does not pull, the socket is
 * not read, so PostgreSQL is held back by TCP flow control rather than buffered in memory.
 *
 * Works inside a transaction (the extractor runs one REPEATABLE READ transaction with `SET LOCAL`).
 * If the consumer stops early, the rest of the COPY is read and discarded so the client stays
 * usable and the transaction intact; a query error rejects the iteration with PostgreSQL's error.
 */
export async function* copyOut(client: ClientBase, sql: string, options: CopyOutOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  for await (const block of copyOutRows(client, sql, options)) yield block.bytes;
}

/**
 * {@link copyOut} as blocks of whole rows with their counts (`CopyOutQuery`): with `splitEvery`,
 * a block ends after every `splitEvery` rows, so the data can be cut into parts of exactly that
 * many rows without reading it.
 */
export async function* copyOutRows(client: ClientBase, sql: string, options: CopyOutRowsOptions = {}): AsyncGenerator<RowBlock, void, undefined> {
  // The newline keeps a trailing `-- comment` in sql from swallowing the closing parenthesis.
  const text = `COPY (${stripTrailingSemicolons(sql)}\n) TO STDOUT (FORMAT ${options.format === 'csv' ? 'csv' : 'binary'})`;
  const stream = client.query(new CopyOutQuery(text, { splitEvery: options.splitEvery ?? 0, highWaterMark: options.highWaterMark ?? 262_144 }));
  // PostgreSQL's `COPY n` arrives after the data ends; the query is complete (its count
  // recorded) when the client hands it ReadyForQuery, the Submittable's last call.
  const completed = options.onRowCount && readyForQuery(stream);
  let finished = false;
  let failed = false;
  stream.once('error', () => {
    failed = true;
  });
  try {
    // destroyOnReturn: false — destroying the stream would strand the connection mid-COPY.
    for await (const block of stream.iterator({ destroyOnReturn: false })) {
      yield block as RowBlock;
      if (options.reuseBuffers) releaseBlock(block as RowBlock);
    }
    finished = true;
    if (completed) {
      await completed;
      options.onRowCount?.(stream.rowCount);
    }
  } finally {
    if (!finished && !failed) await discardRest(stream);
  }
}

/** Resolves when the client hands `query` ReadyForQuery (set up before the query's data ends). */
function readyForQuery(query: object): Promise<void> {
  const submitted = query as { handleReadyForQuery(...args: unknown[]): void };
  const ready = submitted.handleReadyForQuery.bind(submitted);
  return new Promise((resolve) => {
    submitted.handleReadyForQuery = (...args) => {
      ready(...args);
      resolve();
    };
  });
}

function discardRest(stream: Readable): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    // An error here was already reported to pg's query queue; the caller's error wins.
    stream.once('error', () => resolve());
    stream.once('end', () => resolve());
    stream.resume();
  });
}

/** A query used as a subquery must not end in `;`. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** {@link copyOut} in PostgreSQL's binary format, which `BinaryCopyDecoder` reads. */
export function copyOutBinary(client: ClientBase, sql: string, options: Omit<CopyOutOptions, 'format'> = {}): AsyncGenerator<Buffer, void, undefined> {
  return copyOut(client, sql, { ...options, format: 'binary' });
}
