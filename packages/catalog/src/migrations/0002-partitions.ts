import { type Kysely, sql } from 'kysely';

/**
 * Partition fingerprints of each committed version: what the next incremental run compares with
 * the source to decide which partitions to re-extract. Committed in the version's transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('partitions')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('partition_key', 'text', (c) => c.notNull())
    .addColumn('partition', 'jsonb', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('partitions_pk', ['dataset_id', 'version', 'partition_key'])
    .addForeignKeyConstraint('partitions_version_fk', ['dataset_id', 'version'], 'versions', ['dataset_id', 'version'], (c) => c.onDelete('cascade'))
    .execute();
  await sql`alter table versions add column base_version integer`.execute(db);
  await sql`alter table versions add column mode text not null default 'full'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('partitions').ifExists().execute();
  await sql`alter table versions drop column if exists base_version, drop column if exists mode`.execute(db);
}
