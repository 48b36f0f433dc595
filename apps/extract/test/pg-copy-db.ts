import pg from 'pg';
import { mulberry32 } from '@lake/fixture';

/** The test PostgreSQL; the harness may point elsewhere with LAKE_TEST_DATABASE_URL. */
export const TEST_DATABASE_URL = process.env.LAKE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function connectTestClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  return client;
}

/** A name no other test run uses, for temp tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Deterministic PRNG (mulberry32), so a failing chunk split can be replayed. */
export const seededRandom = mulberry32;

/** Cuts `bytes` into chunks of 1..maxChunk bytes. */
export function resplit(bytes: Buffer, maxChunk: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}
