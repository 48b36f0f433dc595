import { type Kysely, sql } from 'kysely';

/** Schema history: how each registered contract differs from the one before it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table contracts add column previous_hash text`.execute(db);
  await sql`alter table contracts add column change_kind text not null default 'none'`.execute(db);
  await sql`alter table contracts add column changes jsonb not null default '[]'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table contracts drop column previous_hash, drop column change_kind, drop column changes`.execute(db);
}
