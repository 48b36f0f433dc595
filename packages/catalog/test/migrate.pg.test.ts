import { pgAdminUrl, uniqueName } from '@lake/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../src/index.js';

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('catalog migration on a fresh PostgreSQL', () => {
  const names: string[] = [];
  afterAll(async () => {
    await admin(pgAdminUrl(), async (c) => {
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  });

  it('creates the missing database once when every worker starts at the same moment', async () => {
    // As `lake workers` starts them on a new machine: five processes migrate the catalog at once.
    for (let round = 0; round < 5; round++) {
      const name = uniqueName('fresh_catalog');
      names.push(name);
      const url = new URL(pgAdminUrl());
      url.pathname = `/${name}`;
      const catalogs = Array.from({ length: 5 }, () => openCatalog({ url: url.toString(), poolSize: 1 }));
      try {
        await Promise.all(catalogs.map((c) => c.migrate()));
      } finally {
        await Promise.all(catalogs.map((c) => c.close()));
      }
      const tables = await admin(url.toString(), (c) => c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'lake' AND tablename = 'runs'"));
      expect(tables.rows).toEqual([{ n: 1 }]);
    }
  });
});
