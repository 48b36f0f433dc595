import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOutColumnBatches, copyOutRows, pooledReadSocket, type ReadPool, readPoolOf } from '../src/pg-copy/index.js';
import { TEST_DATABASE_URL } from './pg-copy-db.js';

/** A client whose socket reads into a ReadPool, as the extract's is. */
async function pooledClient(): Promise<{ client: pg.Client; pool: ReadPool }> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, stream: pooledReadSocket });
  await client.connect();
  const pool = readPoolOf((client as unknown as { connection: { stream: unknown } }).connection.stream);
  if (!pool) throw new Error('the client did not get a pooled socket');
  return { client, pool };
}

let pooled: { client: pg.Client; pool: ReadPool };
let plain: pg.Client;

beforeAll(async () => {
  pooled = await pooledClient();
  plain = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await plain.connect();
});

afterAll(async () => {
  await pooled?.client.end();
  await plain?.end();
});

// Rows of 0 to ~3.5 KB whose quoted fields hold quotes, commas and newlines: messages and their
// headers fall across the socket's chunks.
const N = 20_000;
const SQL = `SELECT g, repeat('x", ' || chr(10), g % 700) AS pad, CASE WHEN g % 3 = 0 THEN NULL ELSE '"' || g || '"' END AS q FROM generate_series(1, ${N}) g`;

describe('pooledReadSocket', () => {
  it('reads a whole COPY into a few reused buffers, byte for byte what PostgreSQL sends', async () => {
    const fromPsql = execFileSync('psql', [TEST_DATABASE_URL, '-X', '-q', '-c', `COPY (${SQL}) TO STDOUT (FORMAT csv)`], { maxBuffer: 1 << 30 });
    for (const splitEvery of [1, 4096, 0]) {
      const { taken, allocated } = pooled.pool;
      const parts: Buffer[] = [];
      let rows = 0;
      const sent: number[] = [];
      for await (const block of copyOutRows(pooled.client, SQL, { format: 'csv', splitEvery, reuseBuffers: true, onRowCount: (n) => sent.push(n) })) {
        // The bytes are the consumer's only until it asks for the next block: keep a copy.
        parts.push(Buffer.from(block.bytes));
        rows += block.rows;
      }
      expect(sent).toEqual([N]);
      expect(rows).toBe(N);
      expect(Buffer.concat(parts).equals(fromPsql)).toBe(true);
      // ~36 MB of CSV: hundreds of reads, into a handful of buffers.
      expect(pooled.pool.taken - taken).toBeGreaterThan(300);
      expect(pooled.pool.allocated - allocated).toBeLessThanOrEqual(8);
    }
  });

  it('keeps every buffer of a consumer that does not release its blocks', async () => {
    // Without reuseBuffers a block's bytes stay valid after the next block arrives.
    const blocks: Buffer[] = [];
    for await (const block of copyOutRows(pooled.client, SQL, { format: 'csv', splitEvery: 4096 })) blocks.push(block.bytes);
    const fromPlain: Buffer[] = [];
    for await (const block of copyOutRows(plain, SQL, { format: 'csv', splitEvery: 4096 })) fromPlain.push(block.bytes);
    expect(Buffer.concat(blocks).equals(Buffer.concat(fromPlain))).toBe(true);
  });

  it('decodes binary COPY as a plain socket does', async () => {
    const sql = "SELECT g AS id, md5(g::text) AS h, g * 0.5 AS x, '2026-01-01 00:00:00.123456+00'::timestamptz - g * interval '1 second' AS t FROM generate_series(1, 30000) g";
    const [viaPool, viaPlain] = [await collect(pooled.client, sql), await collect(plain, sql)];
    expect(viaPool.reduce<number>((n, c) => n + ((c as { id?: unknown[] }).id?.length ?? 0), 0)).toBe(30_000);
    expect(viaPool).toEqual(viaPlain);
  });

  it('serves ordinary queries, results larger than a read included', async () => {
    const big = await pooled.client.query<{ s: string }>("SELECT repeat('ab', 150000) AS s");
    expect(big.rows[0]?.s.length).toBe(300_000);
    const many = await pooled.client.query<{ g: number }>('SELECT g FROM generate_series(1, 50000) g');
    expect(many.rows.length).toBe(50_000);
    expect(many.rows.reduce((n, r) => n + r.g, 0)).toBe((50_000 * 50_001) / 2);
  });

  it('stays usable after a COPY stopped early or failed', async () => {
    for await (const _ of copyOutRows(pooled.client, SQL, { format: 'csv', splitEvery: 10, reuseBuffers: true })) break;
    expect((await pooled.client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    const failing = 'SELECT CASE WHEN g < 50000 THEN g ELSE 1 / (g - g) END AS g FROM generate_series(1, 60000) g';
    let rows = 0;
    await expect(
      (async () => {
        for await (const block of copyOutRows(pooled.client, failing, { format: 'csv', splitEvery: 1000, reuseBuffers: true })) rows += block.rows;
      })(),
    ).rejects.toThrow(/division by zero/);
    expect(rows).toBeLessThan(60_000);
    expect((await pooled.client.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('gives TLS connections a plain socket', () => {
    expect(readPoolOf(pooledReadSocket({ ssl: true }))).toBeUndefined();
    expect(readPoolOf(pooledReadSocket({}))).toBeDefined();
  });
});

async function collect(client: pg.Client, sql: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const batch of copyOutColumnBatches(client, sql)) out.push(batch.columns);
  return out;
}
