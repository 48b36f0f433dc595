import type { ColumnBatch } from '@lake/contracts';
import type { ClientBase } from 'pg';
import { BinaryCopyDecoder, type BinaryCopyDecoderOptions } from './binary-copy-decoder.js';
import { type CopyOutOptions, copyOutBinary } from './copy-out.js';
import { describeQuery } from './describe-query.js';

/**
 * Describes `sql`, copies it out in binary and yields its rows as lake column batches.
 * Runs two statements on `client` (describe, then COPY), so inside one REPEATABLE READ
 * transaction both see the same snapshot.
 */
export async function* copyOutColumnBatches(
  client: ClientBase,
  sql: string,
  options: BinaryCopyDecoderOptions & CopyOutOptions = {},
): AsyncGenerator<ColumnBatch, void, undefined> {
  const descriptors = await describeQuery(client, sql);
  const decoder = new BinaryCopyDecoder(descriptors, options);
  yield* decoder.decode(copyOutBinary(client, sql, options));
}
