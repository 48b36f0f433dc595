import type { DatasetContract } from '@lake/contracts';
import type { Catalog } from './catalog-connection.js';

export interface RetentionDrop {
  dataset: string;
  version: number;
  committedAt: Date;
  reason: string;
}

/**
 * Versions a dataset's contract no longer retains. A version stays while it is one of the last
 * `keep_last` OR younger than `keep_days`; the current version always stays. Without a retention
 * block every version stays. Quarantine datasets follow their dataset.
 */
export async function retentionPlan(catalog: Catalog, now = new Date()): Promise<RetentionDrop[]> {
  const datasets = await catalog.db.selectFrom('datasets').select(['id', 'current_version', 'contract_hash']).where('id', 'not like', '%\\_quarantine').execute();
  const drops: RetentionDrop[] = [];
  for (const ds of datasets) {
    const row = await catalog.db.selectFrom('contracts').select('contract').where('dataset_id', '=', ds.id).where('hash', '=', ds.contract_hash).executeTakeFirst();
    const retention = (row?.contract as unknown as DatasetContract | undefined)?.retention ?? {};
    if (retention.keep_last === undefined && retention.keep_days === undefined) continue;
    const versions = await catalog.db.selectFrom('versions').select(['version', 'committed_at']).where('dataset_id', '=', ds.id).orderBy('version', 'desc').execute();
    const cutoff = retention.keep_days === undefined ? undefined : new Date(now.getTime() - retention.keep_days * 86_400_000);
    versions.forEach((v, i) => {
      if (v.version === ds.current_version) return;
      const byCount = retention.keep_last !== undefined && i < retention.keep_last;
      const byAge = cutoff !== undefined && v.committed_at >= cutoff;
      if (byCount || byAge) return;
      const why = [retention.keep_last !== undefined ? `not among the last ${retention.keep_last}` : '', cutoff ? `older than ${retention.keep_days} days` : ''].filter(Boolean).join(' and ');
      drops.push({ dataset: ds.id, version: v.version, committedAt: v.committed_at, reason: why });
    });
  }
  return drops;
}

/** Forgets versions (and their quarantine versions) in one transaction; their files become garbage for gc unless another version references them. */
export async function dropVersions(catalog: Catalog, drops: RetentionDrop[]): Promise<void> {
  if (drops.length === 0) return;
  await catalog.db.transaction().execute(async (trx) => {
    for (const d of drops) {
      await trx.deleteFrom('versions').where('dataset_id', 'in', [d.dataset, `${d.dataset}_quarantine`]).where('version', '=', d.version).execute();
    }
  });
}
