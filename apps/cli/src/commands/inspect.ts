import {
  lineageEvents,
  listDatasets,
  listRuns,
  listVersions,
  parseVersionSelector,
  quarantineSummary,
  resolveVersion,
  versionFiles,
} from '@lake/catalog';
import type { RunEvent } from '@lake/contracts';
import { parseDatasetId } from '@lake/contracts';
import { versionBlock } from '@lake/lineage';
import type { CliContext } from '../context.js';
import { bytes, count, table } from '../format.js';

/** `lake datasets`: every dataset with its current version. */
export async function datasetsCommand(ctx: CliContext): Promise<number> {
  const rows = await listDatasets(await ctx.catalog());
  console.log(
    table(
      rows.map((d) => ({ dataset: d.id, current: d.current_version ? `v${d.current_version}` : '-', rows: count(d.row_count), size: d.byte_size ? bytes(d.byte_size) : '', committed: d.committed_at })),
    ),
  );
  return 0;
}

/** `lake versions <dataset>`: the committed versions, newest first. */
export async function versionsCommand(ctx: CliContext, dataset: string): Promise<number> {
  parseDatasetId(dataset);
  const rows = await listVersions(await ctx.catalog(), dataset);
  if (rows.length === 0) {
    console.error(`${dataset} has no committed version`);
    return 1;
  }
  console.log(
    table(rows.map((v) => ({ version: `v${v.version}`, rows: count(v.row_count), files: v.file_count, size: bytes(v.byte_size), schema: v.schema_version, run: v.run_id, committed: v.committed_at }))),
  );
  return 0;
}

/** `lake runs [dataset]`: run history with status and counts. */
export async function runsCommand(ctx: CliContext, dataset?: string): Promise<number> {
  const rows = await listRuns(await ctx.catalog(), { ...(dataset ? { dataset } : {}), limit: 30 });
  console.log(
    table(
      rows.map((r) => ({
        run: r.id,
        dataset: r.dataset_id,
        status: r.status,
        stage: r.stage,
        version: `v${r.version}`,
        source: count(r.source_rows),
        loaded: count(r.loaded_rows),
        quarantined: count(r.quarantined_rows),
        started: r.created_at,
        error: r.error ? `${r.error.stage}: ${r.error.message}` : '',
      })),
    ),
  );
  return 0;
}

/** `lake show <dataset>[@vN]`: schema, files, rows, lineage and quarantine of one version. */
export async function showCommand(ctx: CliContext, ref: string): Promise<number> {
  const [dataset, at] = ref.split('@') as [string, string | undefined];
  parseDatasetId(dataset);
  const catalog = await ctx.catalog();
  const version = await resolveVersion(catalog, dataset, parseVersionSelector(at));
  if (!version) {
    console.error(`${dataset}${at ? `@${at}` : ''} has no committed version`);
    return 1;
  }
  const contract = await catalog.db.selectFrom('contracts').select('contract').where('dataset_id', '=', dataset).where('hash', '=', version.contract_hash).executeTakeFirst();
  const files = await versionFiles(catalog, dataset, version.version);
  const layers = Math.max(0, ...files.map((f) => f.layer));
  console.log(
    `${dataset} v${version.version} — ${count(version.row_count)} rows in ${files.length} file(s), ${bytes(version.byte_size)}` +
      (layers > 0 ? `; ${layers} delta layer(s) on top of its full files (readers hide the rows later layers supersede)` : ''),
  );
  console.log(`committed ${version.committed_at.toISOString()} by run ${version.run_id}; schema ${version.schema_version} (${version.contract_hash})`);
  console.log(`source snapshot: ${JSON.stringify(version.snapshot)}\n`);
  const fields = (contract?.contract as { fields?: Array<Record<string, unknown>> } | undefined)?.fields ?? [];
  if (fields.length > 0) {
    console.log('schema:');
    console.log(table(fields.map((f) => ({ field: f.name, type: f.type, nullable: f.nullable, unit: f.unit ?? '', source: f.cast_by ? `${f.source} as ${f.cast_by} ∈ ${(f.when as string[]).join('|')}` : f.source, description: f.description ?? '' }))));
    console.log('');
  }
  console.log('files:');
  console.log(
    table(
      files.map((f) => ({
        object: `${f.bucket}/${f.path}`,
        ...(layers > 0 ? { layer: f.layer } : {}),
        ...(f.role !== 'rows' || layers > 0 ? { role: f.role === 'deletes' ? 'superseded keys' : f.role === 'keys' ? 'key index' : 'rows' } : {}),
        rows: count(f.row_count),
        size: bytes(f.byte_size),
      })),
    ),
  );
  const quarantine = await quarantineSummary(catalog, dataset, version.version);
  if (quarantine.length > 0) {
    console.log('\nquarantined rows by rule:');
    console.log(table(quarantine.map((q) => ({ column: q.column_name, rule: q.rule, rows: count(q.row_count) }))));
  }
  const events = await lineageEvents(catalog, { runId: version.run_id });
  const complete = events.find((e) => e.event_type === 'COMPLETE');
  if (complete) {
    const block = versionBlock(complete.event as unknown as RunEvent);
    console.log(`\nlineage: source ${block.source}; transformation ${block.transformation}; created ${block.created}; ${events.length} event(s)`);
  }
  return 0;
}
