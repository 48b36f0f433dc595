export type {
  ObjectListing,
  ObjectStat,
  ObjectStore,
  PutOptions,
  PutResult,
} from './object-store.js';
export { DEFAULT_PRESIGN_EXPIRY_SECONDS } from './object-store.js';
export { createObjectStore, type ObjectStoreConfig } from './create-object-store.js';
export { LocalObjectStore } from './local/local-object-store.js';
export type { LocalObjectStoreConfig } from './local/local-object-store-config.js';
export { S3ObjectStore } from './s3/s3-object-store.js';
export type { S3ObjectStoreConfig } from './s3/s3-object-store-config.js';

export { type Buckets, DEFAULT_BUCKETS, type Tier, TIERS } from './layout/buckets.js';
export { formatObjectKey, type ObjectKey, type ObjectPrefix } from './layout/object-key.js';
export {
  CURATED_ZONES,
  type CuratedZone,
  DOMAINS,
  type Domain,
  METADATA_KINDS,
  type MetadataKind,
} from './layout/names.js';
export {
  decodePartitionValue,
  EMPTY_PARTITION_VALUE,
  encodePartitionValue,
  NULL_PARTITION_VALUE,
  type Partition,
  type PartitionValue,
  parsePartitionSegment,
} from './layout/partition.js';
export { createStorageLayout, STAGING_SEGMENT, type StorageLayout } from './layout/storage-layout.js';
export { ARROW_EXTENSIONS, TIER_EXTENSIONS } from './rules/object-rules.js';

export { InvalidObjectKeyError } from './errors/invalid-object-key-error.js';
export { ObjectNotFoundError } from './errors/object-not-found-error.js';
export { RefusedObjectError } from './errors/refused-object-error.js';
