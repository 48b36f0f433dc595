import { RefusedObjectError } from '../errors/refused-object-error.js';
import type { Tier } from '../layout/buckets.js';
import { formatObjectKey, type ObjectKey } from '../layout/object-key.js';

/** Arrow IPC in any form is a compute format: it never lands in the lake. */
export const ARROW_EXTENSIONS = ['.arrow', '.arrows', '.feather', '.ipc'] as const;

/**
 * Extensions each tier accepts (`undefined` = anything not refused everywhere).
 * - raw holds files as received (CSV, TSV, JSON, VCF, logger files...) and staging Parquet;
 * - normalized and curated hold Parquet only (manifests live in the catalog database);
 * - metadata holds YAML/JSON documents by design: contracts, dictionaries, lineage events.
 */
export const TIER_EXTENSIONS: Readonly<Record<Tier, readonly string[] | undefined>> = {
  raw: undefined,
  normalized: ['.parquet'],
  curated: ['.parquet'],
  metadata: ['.yaml', '.yml', '.json'],
};

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

/** Throws `RefusedObjectError` when the key's format is not allowed in its tier. */
export function assertStorable(key: ObjectKey): void {
  const ext = extensionOf(key.path);
  if ((ARROW_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new RefusedObjectError(formatObjectKey(key), `Arrow/Feather (${ext}) is a compute format and is never stored`);
  }
  const allowed = TIER_EXTENSIONS[key.tier];
  if (allowed && !allowed.includes(ext)) {
    throw new RefusedObjectError(
      formatObjectKey(key),
      `the ${key.tier} tier holds only ${allowed.join(', ')} files, got "${ext || '(no extension)'}"`,
    );
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.parquet': 'application/vnd.apache.parquet',
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.vcf': 'text/plain',
  '.gz': 'application/gzip',
};

/** Content type from the key's extension, `application/octet-stream` when unknown. */
export function defaultContentType(key: ObjectKey): string {
  return CONTENT_TYPES[extensionOf(key.path)] ?? 'application/octet-stream';
}

const META_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const META_VALUE = /^[\x20-\x7e]{0,1024}$/;
// These would be sent as HTTP headers rather than x-amz-meta-* by the minio client.
const RESERVED_META = /^(content-|cache-control$|expires$|x-amz-)/;

/**
 * User metadata must survive S3 (lowercased header names, ASCII values) the same way on both
 * backends: keys `[a-z0-9-]`, values printable ASCII.
 */
export function assertValidMetadata(key: ObjectKey, metadata: Readonly<Record<string, string>> | undefined): void {
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (!META_KEY.test(k) || RESERVED_META.test(k)) {
      throw new RefusedObjectError(formatObjectKey(key), `metadata key "${k}" must match ${META_KEY} and not be a reserved header`);
    }
    if (typeof v !== 'string' || !META_VALUE.test(v)) {
      throw new RefusedObjectError(formatObjectKey(key), `metadata "${k}" must be printable ASCII up to 1024 chars`);
    }
  }
}
