import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, redisConnectionOptions, uniqueName, type TestDatabase } from './index.js';

describe('uniqueName', () => {
  it('is lowercase [a-z0-9_] and unique', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('My-Prefix')));
    expect(names.size).toBe(100);
    for (const n of names) expect(n).toMatch(/^my_prefix_[a-z0-9_]+$/);
  });
});

describe('createTestDatabase [postgres]', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('creates a fresh database and drops it', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const client = new pg.Client({ connectionString: db.url });
    // Left open on purpose: drop() must still succeed, and the server then kills this session.
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    expect(rows[0]?.db).toBe(db.name);
    await db.drop();
    dbs.pop();
    await client.end().catch(() => {});
  });
});

describe('redisConnectionOptions', () => {
  it('points at the local redis', () => {
    expect(redisConnectionOptions()).toEqual({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  });
});
