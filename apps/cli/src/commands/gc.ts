import { activeRuns, dropVersions, referencedObjects, retentionPlan } from '@lake/catalog';
import { DOMAINS } from '@lake/contracts';
import { type ObjectKey, formatObjectKey } from '@lake/storage';
import type { CliContext } from '../context.js';
import { bytes, count } from '../format.js';

/**
 * `lake gc [--dry-run]`: deletes objects no committed version references and no active run owns:
 * staging of finished runs, files of failed runs, leftovers of killed attempts.
 * Listing comes first and the catalog is read after it, so an object written by a run that starts
 * meanwhile is either protected as active or newer than the listing and skipped.
 */
export async function gcCommand(ctx: CliContext, opts: { dryRun: boolean }): Promise<number> {
  const store = await ctx.store();
  const layout = await ctx.layout();
  const catalog = await ctx.catalog();
  // Retention first: versions the contracts no longer keep are forgotten, then their files are
  // garbage unless a retained version (an incremental one reusing them) still references them.
  const drops = await retentionPlan(catalog);
  for (const d of drops) console.log(`${opts.dryRun ? 'would drop' : 'drop'} ${d.dataset} v${d.version} (${d.reason})`);
  if (!opts.dryRun) await dropVersions(catalog, drops);
  const dropped = new Set(drops.map((d) => `${d.dataset}@${d.version}`));
  const listedAt = new Date();
  const candidates: Array<{ key: ObjectKey; size: number; lastModified: Date }> = [];
  for (const domain of DOMAINS) {
    for await (const o of store.list(layout.stagingRootPrefix(domain))) candidates.push(o);
    for await (const o of store.list(layout.normalizedDomainPrefix(domain))) candidates.push(o);
  }
  const referenced = await referencedObjects(catalog, opts.dryRun ? dropped : undefined);
  const active = await activeRuns(catalog);
  const activeStaging = active.map((r) => `/${r.id}/`);
  const activeVersions = active.flatMap((r) => {
    const [domain, name] = r.dataset_id.split('.') as [string, string];
    return [`${domain}/${name}/v${r.version}/`, `${domain}/${name}_quarantine/v${r.version}/`];
  });
  const garbage = candidates.filter((o) => {
    if (o.lastModified > listedAt) return false;
    if (referenced.has(formatObjectKey(o.key))) return false;
    if (o.key.tier === 'raw') return !activeStaging.some((s) => o.key.path.includes(s));
    return !activeVersions.some((p) => o.key.path.startsWith(p));
  });
  const total = garbage.reduce((n, o) => n + o.size, 0);
  for (const o of garbage) console.log(`${opts.dryRun ? 'would delete' : 'delete'} ${formatObjectKey(o.key)} (${bytes(o.size)})`);
  if (!opts.dryRun && garbage.length > 0) {
    for (let i = 0; i < garbage.length; i += 1000) await store.delete(garbage.slice(i, i + 1000).map((o) => o.key));
  }
  console.log(`${opts.dryRun ? 'dry run: ' : ''}${count(garbage.length)} orphaned object(s), ${bytes(total)}${opts.dryRun ? ' would be freed' : ' freed'}; ${count(referenced.size)} referenced object(s) kept`);
  return 0;
}
