import type { Readable } from 'node:stream';
import type { Buckets } from './layout/buckets.js';
import type { ObjectKey, ObjectPrefix } from './layout/object-key.js';

export interface PutOptions {
  /** @defaultValue derived from the key's extension (`application/vnd.apache.parquet`, ...) */
  contentType?: string;
  /** User metadata: keys `[a-z0-9-]`, values printable ASCII. */
  metadata?: Readonly<Record<string, string>>;
}

export interface PutResult {
  /**
   * MD5 hex of the content for single-part writes (the local backend always). Objects that
   * S3 stored with multipart (above 64 MiB) have S3's opaque `<md5>-<parts>` etag.
   */
  etag: string;
  size: number;
}

export interface ObjectStat {
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
}

export interface ObjectListing {
  key: ObjectKey;
  size: number;
  etag: string;
  lastModified: Date;
}

/**
 * One interface, two backends (`local/`, `s3/`), one contract suite (`object-store-contract.ts`).
 *
 * Writes (`put`, `putFile`, `copy`) refuse formats a tier does not hold; every method
 * rejects keys whose bucket is not this store's bucket for the key's tier.
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  readonly buckets: Buckets;
  /** Creates missing buckets; safe to call concurrently and repeatedly. */
  ensureBuckets(): Promise<void>;
  /**
   * Writes an object. A stream is spooled to a temporary file first (S3) so its size is known:
   * memory stays flat whatever the size.
   */
  put(key: ObjectKey, body: Uint8Array | Readable, opts?: PutOptions): Promise<PutResult>;
  putFile(key: ObjectKey, localPath: string, opts?: PutOptions): Promise<PutResult>;
  /** @throws ObjectNotFoundError */
  get(key: ObjectKey): Promise<Readable>;
  /** @throws ObjectNotFoundError */
  getBytes(key: ObjectKey): Promise<Uint8Array>;
  /**
   * Bytes `[start, end)`, clipped to the object's size (empty when `start >= size`).
   * @throws ObjectNotFoundError, RangeError for negative or reversed bounds
   */
  getRange(key: ObjectKey, start: number, end: number): Promise<Uint8Array>;
  /** null when missing. */
  stat(key: ObjectKey): Promise<ObjectStat | null>;
  exists(key: ObjectKey): Promise<boolean>;
  /**
   * Every object under the prefix, recursively. Order is not part of the contract: the local
   * backend and real S3/MinIO yield byte order of keys, the s3rver test fake does not.
   */
  list(prefix: ObjectPrefix): AsyncIterable<ObjectListing>;
  /** Deletes many keys (any buckets of this store); missing keys are not an error. */
  delete(keys: readonly ObjectKey[]): Promise<void>;
  /** Server-side copy. @throws ObjectNotFoundError when `from` is missing */
  copy(from: ObjectKey, to: ObjectKey): Promise<PutResult>;
  /**
   * A URL that reads the object without credentials (S3: presigned GET; local: `file://`,
   * which ignores the expiry). Does not check that the object exists.
   */
  presignGet(key: ObjectKey, expirySeconds?: number): Promise<string>;
}

/** @defaultValue of `presignGet`'s expiry: one hour. */
export const DEFAULT_PRESIGN_EXPIRY_SECONDS = 3600;

/** Validates `getRange` bounds; shared by both backends. */
export function assertRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range [${start}, ${end}): need integers with 0 <= start <= end`);
  }
}
