import { type Kysely, sql } from 'kysely';

/** Datasets, contracts, runs and their stages, versions with their files, lineage, quarantine. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer')
    .addColumn('next_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('contract_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('contracts')
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('schema_version', 'text', (c) => c.notNull())
    .addColumn('contract', 'jsonb', (c) => c.notNull())
    .addColumn('yaml', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('contracts_pk', ['dataset_id', 'hash'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('trigger_kind', 'text', (c) => c.notNull())
    .addColumn('trigger_key', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('full_refresh', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued','running','committed','failed')`))
    .addColumn('stage', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('contract_hash', 'text', (c) => c.notNull())
    .addColumn('source_rows', 'bigint')
    .addColumn('loaded_rows', 'bigint')
    .addColumn('quarantined_rows', 'bigint')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('runs_trigger_unique', ['dataset_id', 'trigger_kind', 'trigger_key'])
    .addUniqueConstraint('runs_version_unique', ['dataset_id', 'version'])
    .execute();
  // One active run per dataset: a second trigger while one is queued or running joins it.
  await sql`create unique index runs_one_active on runs (dataset_id) where status in ('queued', 'running')`.execute(db);
  await sql`create index runs_dataset_created on runs (dataset_id, created_at desc)`.execute(db);

  await db.schema
    .createTable('run_stages')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('run_stages_pk', ['run_id', 'stage'])
    .execute();

  await db.schema
    .createTable('versions')
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().unique())
    .addColumn('contract_hash', 'text', (c) => c.notNull())
    .addColumn('schema_version', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('byte_size', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('committed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addPrimaryKeyConstraint('versions_pk', ['dataset_id', 'version'])
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('partition', 'jsonb', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('byte_size', 'bigint', (c) => c.notNull())
    .addColumn('column_stats', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('files_pk', ['dataset_id', 'version', 'bucket', 'path'])
    .addForeignKeyConstraint('files_version_fk', ['dataset_id', 'version'], 'versions', ['dataset_id', 'version'], (c) => c.onDelete('cascade'))
    .execute();
  await sql`create index files_object on files (bucket, path)`.execute(db);

  await db.schema
    .createTable('lineage_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_time', 'timestamptz', (c) => c.notNull())
    .addColumn('event', 'jsonb', (c) => c.notNull())
    .execute();
  await sql`create index lineage_events_run on lineage_events (run_id, id)`.execute(db);
  await sql`create index lineage_events_dataset on lineage_events (dataset_id, id)`.execute(db);

  await db.schema
    .createTable('quarantine_summaries')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('quarantine_summaries_pk', ['dataset_id', 'version', 'column_name', 'rule'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['quarantine_summaries', 'lineage_events', 'files', 'versions', 'run_stages', 'runs', 'contracts', 'datasets']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
