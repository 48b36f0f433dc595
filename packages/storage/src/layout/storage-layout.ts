import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import { type Buckets, DEFAULT_BUCKETS, tierOfBucket, validateBuckets } from './buckets.js';
import {
  type CuratedZone,
  CURATED_ZONES,
  checkDomain,
  checkFileName,
  checkMetadataKind,
  checkName,
  checkRunId,
  checkZone,
  type Domain,
  type MetadataKind,
  versionSegment,
} from './names.js';
import { makeObjectKey, makeObjectPrefix, type ObjectKey, type ObjectPrefix } from './object-key.js';
import { type Partition, partitionSegments } from './partition.js';

/** Reserved first segment under `raw/<domain>/` for extract staging. */
export const STAGING_SEGMENT = '_staging';

/**
 * The only way to build object keys (ARCHITECTURE "Storage layout"):
 *
 * ```
 * <raw>/<domain>/<segments...>                                   files as received
 * <raw>/<domain>/_staging/<run id>/<dataset>/<col=value>.../<file>  extract staging
 * <normalized>/<domain>/<dataset>/v<N>/<col=value>.../<file>     Parquet
 * <curated>/<zone>/<dataset>/v<N>/<file>                          Parquet
 * <metadata>/<kind>/<domain>/<dataset>/<file>                     YAML / JSON documents
 * ```
 *
 * Every part is validated; a bad part throws `InvalidObjectKeyError` naming it.
 * Which formats a tier accepts is the store's rule (`rules/object-rules.ts`), not the layout's.
 */
export interface StorageLayout {
  readonly buckets: Buckets;
  /** A file as received. Segments are `[a-z0-9_.-]`; the first may not be `_staging`. */
  rawKey(domain: Domain, ...segments: string[]): ObjectKey;
  /** Listing prefix under `raw/<domain>/`. */
  rawPrefix(domain: Domain, ...segments: string[]): ObjectPrefix;
  /** An extract run's staging file (run ids allow `-`). */
  stagingKey(domain: Domain, runId: string, dataset: string, partition: Partition, file: string): ObjectKey;
  /** Everything one run staged for a domain; `gc` deletes it after commit or failure. */
  stagingPrefix(domain: Domain, runId: string): ObjectPrefix;
  /** All runs' staging for a domain (`raw/<domain>/_staging/`), for `gc`. */
  stagingRootPrefix(domain: Domain): ObjectPrefix;
  /** Every normalized dataset of a domain (`normalized/<domain>/`), for `gc`. */
  normalizedDomainPrefix(domain: Domain): ObjectPrefix;
  /** Every curated dataset of a zone (`curated/<zone>/`). */
  curatedZonePrefix(zone: CuratedZone): ObjectPrefix;
  normalizedKey(domain: Domain, dataset: string, version: number, partition: Partition, file: string): ObjectKey;
  curatedKey(zone: CuratedZone, dataset: string, version: number, file: string): ObjectKey;
  metadataKey(kind: MetadataKind, domain: Domain, dataset: string, file: string): ObjectKey;
  /** Listing prefix under `metadata/<kind>/[<domain>/[<dataset>/]]`. */
  metadataPrefix(kind: MetadataKind, domain?: Domain, dataset?: string): ObjectPrefix;
  /** All versions of a dataset: a domain means a normalized dataset, a zone a curated one. */
  datasetPrefix(space: Domain | CuratedZone, dataset: string): ObjectPrefix;
  /** One version of a dataset (`.../v<N>/`; never matches `v<N>0`). */
  versionPrefix(space: Domain | CuratedZone, dataset: string, version: number): ObjectPrefix;
  /**
   * Turns `bucket/path` (from a payload, a log or a listing) back into a key. The bucket
   * decides the tier; only the generic path rules are checked.
   */
  parseKey(bucketAndPath: string): ObjectKey;
}

function isZone(space: string): space is CuratedZone {
  return (CURATED_ZONES as readonly string[]).includes(space);
}

/** Builds the layout over a set of buckets (defaults to BijMantra's names). */
export function createStorageLayout(buckets: Buckets = DEFAULT_BUCKETS): StorageLayout {
  const b = validateBuckets(buckets);

  const rawSegments = (domain: Domain, segments: string[]): string[] => {
    if (segments[0] === STAGING_SEGMENT) {
      throw new InvalidObjectKeyError(`Raw path "${segments.join('/')}" must not start with reserved "${STAGING_SEGMENT}"`);
    }
    return [checkDomain(domain), ...segments.map((s) => checkFileName(s, 'raw path segment'))];
  };
  const datasetSegments = (space: Domain | CuratedZone, dataset: string) => {
    if (isZone(space)) return { tier: 'curated' as const, parts: [space, checkName('dataset name', dataset)] };
    return { tier: 'normalized' as const, parts: [checkDomain(space), checkName('dataset name', dataset)] };
  };

  return Object.freeze({
    buckets: b,
    rawKey(domain, ...segments) {
      if (segments.length === 0) throw new InvalidObjectKeyError('rawKey needs at least one path segment after the domain');
      return makeObjectKey('raw', b.raw, rawSegments(domain, segments).join('/'));
    },
    rawPrefix(domain, ...segments) {
      return makeObjectPrefix('raw', b.raw, `${rawSegments(domain, segments).join('/')}/`);
    },
    stagingKey(domain, runId, dataset, partition, file) {
      const parts = [
        checkDomain(domain),
        STAGING_SEGMENT,
        checkRunId(runId),
        checkName('dataset name', dataset),
        ...partitionSegments(partition),
        checkFileName(file),
      ];
      return makeObjectKey('raw', b.raw, parts.join('/'));
    },
    stagingPrefix(domain, runId) {
      return makeObjectPrefix('raw', b.raw, `${checkDomain(domain)}/${STAGING_SEGMENT}/${checkRunId(runId)}/`);
    },
    stagingRootPrefix(domain) {
      return makeObjectPrefix('raw', b.raw, `${checkDomain(domain)}/${STAGING_SEGMENT}/`);
    },
    normalizedDomainPrefix(domain) {
      return makeObjectPrefix('normalized', b.normalized, `${checkDomain(domain)}/`);
    },
    curatedZonePrefix(zone) {
      return makeObjectPrefix('curated', b.curated, `${checkZone(zone)}/`);
    },
    normalizedKey(domain, dataset, version, partition, file) {
      const parts = [
        checkDomain(domain),
        checkName('dataset name', dataset),
        versionSegment(version),
        ...partitionSegments(partition),
        checkFileName(file),
      ];
      return makeObjectKey('normalized', b.normalized, parts.join('/'));
    },
    curatedKey(zone, dataset, version, file) {
      const parts = [checkZone(zone), checkName('dataset name', dataset), versionSegment(version), checkFileName(file)];
      return makeObjectKey('curated', b.curated, parts.join('/'));
    },
    metadataKey(kind, domain, dataset, file) {
      const parts = [checkMetadataKind(kind), checkDomain(domain), checkName('dataset name', dataset), checkFileName(file)];
      return makeObjectKey('metadata', b.metadata, parts.join('/'));
    },
    metadataPrefix(kind, domain, dataset) {
      const parts: string[] = [checkMetadataKind(kind)];
      if (domain !== undefined) parts.push(checkDomain(domain));
      if (dataset !== undefined) {
        if (domain === undefined) throw new InvalidObjectKeyError('metadataPrefix: a dataset needs its domain');
        parts.push(checkName('dataset name', dataset));
      }
      return makeObjectPrefix('metadata', b.metadata, `${parts.join('/')}/`);
    },
    datasetPrefix(space, dataset) {
      const { tier, parts } = datasetSegments(space, dataset);
      return makeObjectPrefix(tier, b[tier], `${parts.join('/')}/`);
    },
    versionPrefix(space, dataset, version) {
      const { tier, parts } = datasetSegments(space, dataset);
      return makeObjectPrefix(tier, b[tier], `${[...parts, versionSegment(version)].join('/')}/`);
    },
    parseKey(bucketAndPath) {
      const slash = bucketAndPath.indexOf('/');
      const bucket = slash < 0 ? bucketAndPath : bucketAndPath.slice(0, slash);
      const tier = tierOfBucket(b, bucket);
      if (!tier) throw new InvalidObjectKeyError(`Key "${bucketAndPath}" is not in one of the lake buckets`);
      return makeObjectKey(tier, bucket, slash < 0 ? '' : bucketAndPath.slice(slash + 1));
    },
  } satisfies StorageLayout);
}
