import { type DatasetContract, type FileSourceContract, datasetId, isFileSource } from '@lake/contracts';
import type { Logger } from '@lake/logging';
import type { LakeQueues } from '@lake/queue';
import type { Buckets } from '@lake/storage';
import type { CreatedObject } from './minio-event.js';

export interface IngestEventsDeps {
  queues: LakeQueues;
  buckets: Buckets;
  /** The contracts, read again when an object names a dataset not known yet. */
  contracts: () => Promise<DatasetContract[]>;
  log: Logger;
}

export type Outcome =
  | { object: string; status: 'triggered'; dataset: string }
  | { object: string; status: 'ignored'; reason: string };

type FileContract = DatasetContract & { source: FileSourceContract };

/**
 * Turns new raw objects into ingestion triggers. `raw/<domain>/<dataset>/...` belongs to the file
 * dataset of that name; the trigger's key is the object's key and etag, so the same bytes
 * announced twice (a retried notification, a poll after an event) start one run — the queue
 * drops the duplicate job and the catalog maps the same trigger to the same run.
 */
export function createIngestEventsProcessor(deps: IngestEventsDeps) {
  let byDataset = new Map<string, FileContract>();
  const refresh = async () => {
    byDataset = new Map((await deps.contracts()).filter(isFileSource).map((c) => [`${c.dataset.domain}/${c.dataset.name}`, c]));
  };
  const resolve = async (path: string): Promise<FileContract | string> => {
    const [domain, name, ...rest] = path.split('/');
    if (!domain || !name || rest.length === 0) return 'not under raw/<domain>/<dataset>/';
    if (name.startsWith('_')) return 'extract staging, not a received file';
    if (!byDataset.has(`${domain}/${name}`)) await refresh();
    const contract = byDataset.get(`${domain}/${name}`);
    if (!contract) return `no file dataset ${domain}.${name}`;
    const file = rest[rest.length - 1] as string;
    const ext = file.includes('.') ? file.slice(file.lastIndexOf('.')).toLowerCase() : '';
    if (!contract.source.extensions.includes(ext)) return `${datasetId(contract)} accepts ${contract.source.extensions.join(', ')}, not "${ext || '(none)'}"`;
    return contract;
  };
  return async (objects: CreatedObject[], via: 'event' | 'poll'): Promise<Outcome[]> => {
    const out: Outcome[] = [];
    for (const o of objects) {
      const object = `${o.bucket}/${o.path}`;
      if (o.bucket !== deps.buckets.raw) {
        out.push({ object, status: 'ignored', reason: `not in the raw bucket ${deps.buckets.raw}` });
        continue;
      }
      const found = await resolve(o.path);
      if (typeof found === 'string') {
        out.push({ object, status: 'ignored', reason: found });
        continue;
      }
      const dataset = datasetId(found);
      const input = { bucket: o.bucket, path: o.path, ...(o.etag ? { etag: o.etag } : {}), ...(o.size !== undefined ? { size: o.size } : {}) };
      await deps.queues.trigger({
        dataset,
        trigger: { kind: 'event', key: `${object}@${o.etag ?? ''}`.slice(-200) },
        requestedBy: `ingest-events:${via}`,
        full: false,
        allowBreaking: false,
        inputs: [input],
      });
      deps.log.info({ object, etag: o.etag, dataset, via }, 'ingestion triggered');
      out.push({ object, status: 'triggered', dataset });
    }
    return out;
  };
}
