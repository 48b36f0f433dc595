import { type Kysely, sql } from 'kysely';

/** Backfill runs: which partitions a run re-extracts whatever their fingerprints say. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table runs add column backfill jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table runs drop column backfill`.execute(db);
}
