import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import type { Buckets, Tier } from './buckets.js';

declare const objectKeyBrand: unique symbol;
declare const objectPrefixBrand: unique symbol;

/**
 * The address of one object: bucket + path. Built only by the storage layout
 * (`createStorageLayout`), so ad-hoc names cannot reach the store. Plain and JSON-serialisable,
 * so it can travel in job payloads; turn it back into a key with `layout.parseKey`.
 */
export interface ObjectKey {
  readonly tier: Tier;
  readonly bucket: string;
  /** Path inside the bucket: no leading `/`, no empty, `.` or `..` segments. */
  readonly path: string;
  readonly [objectKeyBrand]: true;
}

/** A listing prefix: bucket + a path that is empty or ends with `/`. */
export interface ObjectPrefix {
  readonly tier: Tier;
  readonly bucket: string;
  readonly path: string;
  readonly [objectPrefixBrand]: true;
}

/** `bucket/path`, the form used in logs and error messages. */
export function formatObjectKey(key: ObjectKey | ObjectPrefix): string {
  return `${key.bucket}/${key.path}`;
}

/** S3 caps keys at 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** Characters a key path may contain after partition values are percent-encoded. */
const PATH_CHARS = /^[A-Za-z0-9_.=%/-]+$/;

/**
 * Generic path rules every key obeys, whoever built it. The store re-checks them, so a key
 * forged with a cast can neither escape the local root nor create odd S3 names.
 */
export function assertValidKeyPath(path: string, what = 'key'): void {
  const bad = (why: string) => new InvalidObjectKeyError(`Invalid ${what} path "${path}": ${why}`);
  if (typeof path !== 'string' || path.length === 0) throw bad('empty');
  if (path.startsWith('/')) throw bad('leading "/"');
  if (!PATH_CHARS.test(path)) throw bad('characters outside [A-Za-z0-9_.=%/-]');
  if (Buffer.byteLength(path) > MAX_KEY_BYTES) throw bad(`longer than ${MAX_KEY_BYTES} bytes`);
  const segments = path.endsWith('/') && what === 'prefix' ? path.slice(0, -1).split('/') : path.split('/');
  for (const s of segments) {
    if (s === '') throw bad('empty segment');
    if (s === '.' || s === '..') throw bad(`"${s}" segment`);
  }
}

/** @internal Layout and backends only. */
export function makeObjectKey(tier: Tier, bucket: string, path: string): ObjectKey {
  assertValidKeyPath(path);
  return Object.freeze({ tier, bucket, path }) as ObjectKey;
}

/** @internal Layout only. */
export function makeObjectPrefix(tier: Tier, bucket: string, path: string): ObjectPrefix {
  if (path !== '') {
    if (!path.endsWith('/')) throw new InvalidObjectKeyError(`Invalid prefix path "${path}": must end with "/"`);
    assertValidKeyPath(path, 'prefix');
  }
  return Object.freeze({ tier, bucket, path }) as ObjectPrefix;
}

/**
 * Checks a key (or prefix) against a store's buckets: the bucket must be the one configured
 * for the key's tier and the path must obey the generic rules.
 */
export function assertKeyInBuckets(key: ObjectKey | ObjectPrefix, buckets: Buckets, isPrefix = false): void {
  if (key === null || typeof key !== 'object') {
    throw new InvalidObjectKeyError(`Expected an ObjectKey built by the storage layout, got ${String(key)}`);
  }
  if (buckets[key.tier] !== key.bucket) {
    throw new InvalidObjectKeyError(
      `Key ${formatObjectKey(key)} claims tier "${key.tier}" but this store keeps that tier in bucket "${buckets[key.tier]}"`,
    );
  }
  if (isPrefix) {
    if (key.path !== '') {
      if (!key.path.endsWith('/')) throw new InvalidObjectKeyError(`Invalid prefix path "${key.path}": must end with "/"`);
      assertValidKeyPath(key.path, 'prefix');
    }
  } else {
    assertValidKeyPath(key.path);
  }
}
