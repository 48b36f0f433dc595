import { type Kysely, sql } from 'kysely';

/**
 * The files a run's transform wrote, recorded as it writes them: the stage result carries counts,
 * and the load pages through these rows and commits them with one INSERT … SELECT, so no process
 * holds a large run's file list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table run_files (
      run_id text not null references runs(id) on delete cascade,
      kind text not null check (kind in ('data', 'quarantine')),
      ordinal bigint generated always as identity,
      bucket text not null,
      path text not null,
      partition jsonb not null,
      row_count bigint not null,
      byte_size bigint not null,
      column_stats jsonb not null,
      primary key (run_id, kind, bucket, path)
    )`.execute(db);
  await sql`create index run_files_order on run_files (run_id, kind, ordinal)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table run_files`.execute(db);
}
