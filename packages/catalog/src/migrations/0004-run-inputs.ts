import { type Kysely, sql } from 'kysely';

/** File ingestion: the raw objects a run reads (or that it replays its dataset's quarantine). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table runs add column inputs jsonb`.execute(db);
  await sql`alter table runs add column replay boolean not null default false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table runs drop column inputs, drop column replay`.execute(db);
}
