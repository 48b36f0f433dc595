import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import type { CatalogDatabase } from './catalog-schema.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-partitions.js';
import * as m0003 from './migrations/0003-contract-changes.js';
import * as m0004 from './migrations/0004-run-inputs.js';
import * as m0005 from './migrations/0005-backfill.js';
import * as m0006 from './migrations/0006-run-files.js';
import * as m0007 from './migrations/0007-delta-layers.js';

export interface CatalogConfig {
  /** PostgreSQL URL of the catalog database. */
  url: string;
  /**
   * Schema holding the catalog tables, never BijMantra's own.
   * @defaultValue 'lake'
   */
  schema?: string;
  /** @defaultValue 10 */
  poolSize?: number;
}

export interface Catalog {
  db: Kysely<CatalogDatabase>;
  schema: string;
  /** Applies pending migrations (idempotent, safe to call from every process at start). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Migrations are compiled in, so a bundled app carries them; listed in order. */
const MIGRATIONS = { '0001-initial': m0001, '0002-partitions': m0002, '0003-contract-changes': m0003, '0004-run-inputs': m0004, '0005-backfill': m0005, '0006-run-files': m0006, '0007-delta-layers': m0007 };

/** Opens the catalog: a pool whose connections resolve unqualified names in the catalog schema. */
export function openCatalog(config: CatalogConfig): Catalog {
  const schema = config.schema ?? 'lake';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid catalog schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    options: `-c search_path=${schema}`,
    application_name: 'bijmantra-lake-catalog',
  });
  // An idle connection the server ends (a restart, an administrator, a dropped test database)
  // errors on the pool, which discards it and connects again on next use; without a listener the
  // error would end the worker. A query that needs a connection reports any lasting failure.
  pool.on('error', () => undefined);
  const db = new Kysely<CatalogDatabase>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    schema,
    async migrate() {
      await createDatabaseIfMissing(config.url);
      // Concurrent starters (five workers at once) serialize on an advisory lock, taken before the
      // schema is created: `create schema if not exists` itself races on the catalog's unique index.
      await db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(hashtext(${`lake-migrate-${schema}`}))`.execute(conn);
        try {
          await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
          const migrator = new Migrator({
            db: conn as Kysely<unknown>,
            migrationTableSchema: schema,
            provider: { getMigrations: async () => MIGRATIONS },
          });
          const { error, results } = await migrator.migrateToLatest();
          const failed = results?.find((r: { status: string }) => r.status === 'Error');
          if (error || failed) {
            throw new Error(`catalog migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? error}`);
          }
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${`lake-migrate-${schema}`}))`.execute(conn);
        }
      });
    },
    close: () => db.destroy(),
  };
}


/**
 * The embedded defaults point at a catalog database that a fresh PostgreSQL does not have yet:
 * create it (through the `postgres` maintenance database) when the role may.
 */
async function createDatabaseIfMissing(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/.test(name)) throw new Error(`catalog database name "${name}" is not a plain identifier`);
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (err) {
    // Another process created it first: 42P04 once it is there, 23505 (pg_database's unique
    // index) when both CREATE DATABASE statements ran at once, as five workers starting together do.
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await admin.end();
  }
}
