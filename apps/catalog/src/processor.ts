import {
  type Catalog,
  completeRun,
  getContract,
  lineageEvents,
  resolveVersion,
  versionTotals,
} from '@lake/catalog';
import { type CatalogResult, type DatasetCommittedEvent, type PayloadOf, contractToYaml, parseDatasetId } from '@lake/contracts';
import type { Logger } from '@lake/logging';
import type { StageContext } from '@lake/queue';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import { dataDictionary } from './data-dictionary.js';

export interface CatalogDeps {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  log: Logger;
  /** Publishes `dataset.committed` (deduplicated per dataset version). */
  emit(event: DatasetCommittedEvent): Promise<void>;
}

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Catalog: after a commit, mirrors the version's schema (YAML), data dictionary and lineage
 * record to the metadata bucket, then emits `dataset.committed` for downstream triggers.
 * Every object it writes is a pure function of the committed version, so retries are harmless.
 */
export function createCatalogProcessor(deps: CatalogDeps) {
  return async (job: PayloadOf<'catalog'>, ctx: StageContext): Promise<CatalogResult> => {
    const version = await resolveVersion(deps.catalog, job.dataset, { kind: 'number', version: job.version });
    if (!version || version.run_id !== job.runId) throw new Error(`v${job.version} of ${job.dataset} is not committed by run ${job.runId}`);
    const contract = await getContract(deps.catalog, job.dataset, job.contractHash);
    const totals = await versionTotals(deps.catalog.db, job.dataset, job.version);
    const events = await lineageEvents(deps.catalog, { runId: job.runId });
    const { domain, name } = parseDatasetId(job.dataset);

    const schemaKey = deps.layout.metadataKey('schemas', domain, name, `v${job.version}.yaml`);
    const dictKey = deps.layout.metadataKey('dictionaries', domain, name, `v${job.version}.json`);
    const lineageKey = deps.layout.metadataKey('lineage', domain, name, `v${job.version}-${job.runId}.json`);
    await deps.store.put(schemaKey, new TextEncoder().encode(contractToYaml(contract)), { contentType: 'application/yaml' });
    await deps.store.put(dictKey, json(dataDictionary(contract, version, totals)), { contentType: 'application/json' });
    await deps.store.put(lineageKey, json(events.map((e) => e.event)), { contentType: 'application/json' });

    await ctx.failpoint('after-metadata');
    await deps.emit({ dataset: job.dataset, version: job.version, runId: job.runId, rows: Number(version.row_count), committedAt: version.committed_at.toISOString() });
    await completeRun(deps.catalog, job.runId);
    deps.log.info({ runId: job.runId, jobId: ctx.jobId, dataset: job.dataset, version: job.version }, 'catalogued');
    return { objects: [schemaKey, dictKey, lineageKey].map((k) => ({ bucket: k.bucket, path: k.path })) };
  };
}
