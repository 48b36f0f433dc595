import { type Kysely, sql } from 'kysely';

/**
 * Row-level delta layers. A file's role: `rows` (data or quarantine rows), `deletes` (keys whose
 * rows in earlier layers are superseded: deleted, updated or moved) or `keys` (the version's key
 * index: every source key it holds, its organization and whether it is quarantined). `layer` 0 is
 * the files a full run wrote; each delta run adds the next layer. `mask_column` names the column of
 * the rows a deletes file's `key` matches (`row_key.<key>` for a quarantine's JSON row key).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['files', 'run_files']) {
    await sql`alter table ${sql.table(table)} add column role text not null default 'rows' check (role in ('rows', 'deletes', 'keys'))`.execute(db);
    await sql`alter table ${sql.table(table)} add column layer integer not null default 0 check (layer >= 0)`.execute(db);
    await sql`alter table ${sql.table(table)} add column mask_column text`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['files', 'run_files']) {
    await sql`alter table ${sql.table(table)} drop column mask_column, drop column layer, drop column role`.execute(db);
  }
}
