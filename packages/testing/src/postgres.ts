import pg from 'pg';
import { uniqueName } from './unique-name.js';

/** Connection URL of the `postgres` maintenance database (trust auth on 127.0.0.1). */
export function pgAdminUrl(): string {
  return process.env.LAKE_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** Drops the database, terminating connections left open. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database with a unique name. Call `drop()` in `afterAll`. */
export async function createTestDatabase(prefix = 'lake_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(pgAdminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
