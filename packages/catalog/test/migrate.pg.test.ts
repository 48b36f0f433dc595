import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../src/index.js';

describe('catalog migration on a fresh PostgreSQL', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('creates the missing database once when every worker starts at the same moment', async () => {
    // As `lake workers` starts them on a new machine: five processes migrate the catalog at once.
    for (let round = 0; round < 5; round++) {
      const db = await createTestDatabase('fresh_catalog');
      databases.push(db);
      await db.drop(); // only its name and the handle to drop it again are wanted
      const catalogs = Array.from({ length: 5 }, () => openCatalog({ url: db.url, poolSize: 1 }));
      try {
        await Promise.all(catalogs.map((c) => c.migrate()));
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'lake' and tablename = 'runs'`.execute((catalogs[0] as (typeof catalogs)[number]).db);
        expect(rows).toEqual([{ n: 1 }]);
      } finally {
        await Promise.all(catalogs.map((c) => c.close()));
      }
    }
  });
});
