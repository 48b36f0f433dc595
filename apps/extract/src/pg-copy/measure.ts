/**
 * Throughput of the binary COPY decoder on 1M generated rows of mixed types (not a test).
 *
 *   tsx src/pg-copy/measure.ts [postgres-url] [rows]
 *
 * Prints rows/s for decoding alone (bytes already in memory, fed in 64 KiB chunks), for the COPY
 * alone (PostgreSQL generating the rows plus the socket) and for COPY + decode end to end.
 */
import pg from 'pg';
import { BinaryCopyDecoder } from './binary-copy-decoder.js';
import { copyOutBinary } from './copy-out.js';
import { describeQuery } from './describe-query.js';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rows = Number(process.argv[3] ?? 1_000_000);
const sql = `SELECT g::int4 AS id, g::int8 * 1000003 AS big, 'customer-' || g AS name,
    (g::numeric / 100)::numeric(14, 2) AS amount, g % 2 = 0 AS flag, date '2020-01-01' + g % 1000 AS day,
    timestamptz '2024-01-01' + g * interval '1 second' AS at, g::float8 / 3 AS ratio,
    CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || (g % 97) END AS note
  FROM generate_series(1, ${rows}) AS g`;

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const descriptors = await describeQuery(client, sql);
  const chunks: Buffer[] = [];
  for await (const chunk of copyOutBinary(client, sql)) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const rechunked: Buffer[] = [];
  for (let pos = 0; pos < bytes.length; pos += 65_536) rechunked.push(bytes.subarray(pos, pos + 65_536));

  for (let round = 1; round <= 3; round++) {
    const start = performance.now();
    let decoded = 0;
    const decoder = new BinaryCopyDecoder(descriptors);
    for await (const batch of decoder.decode(rechunked)) decoded += batch.rowCount;
    const seconds = (performance.now() - start) / 1000;
    console.log(`decode only, round ${round}: ${decoded} rows, ${(bytes.length / 1e6).toFixed(1)} MB in ${seconds.toFixed(3)} s = ${Math.round(decoded / seconds)} rows/s`);
  }

  const copyStart = performance.now();
  let copied = 0;
  for await (const chunk of copyOutBinary(client, sql)) copied += chunk.length;
  const copySeconds = (performance.now() - copyStart) / 1000;
  console.log(`COPY only (no decoding): ${(copied / 1e6).toFixed(1)} MB in ${copySeconds.toFixed(3)} s = ${Math.round(rows / copySeconds)} rows/s`);

  const start = performance.now();
  let decoded = 0;
  for await (const batch of new BinaryCopyDecoder(descriptors).decode(copyOutBinary(client, sql))) decoded += batch.rowCount;
  const seconds = (performance.now() - start) / 1000;
  console.log(`COPY + decode end to end: ${decoded} rows in ${seconds.toFixed(3)} s = ${Math.round(decoded / seconds)} rows/s`);
} finally {
  await client.end();
}
