import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { type BucketItem, Client } from 'minio';
import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import { ObjectNotFoundError } from '../errors/object-not-found-error.js';
import { type Buckets, TIERS, validateBuckets } from '../layout/buckets.js';
import {
  assertKeyInBuckets,
  formatObjectKey,
  makeObjectKey,
  type ObjectKey,
  type ObjectPrefix,
} from '../layout/object-key.js';
import {
  assertRange,
  DEFAULT_PRESIGN_EXPIRY_SECONDS,
  type ObjectListing,
  type ObjectStat,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from '../object-store.js';
import { assertStorable, assertValidMetadata, defaultContentType } from '../rules/object-rules.js';
import type { S3ObjectStoreConfig } from './s3-object-store-config.js';

/** minio's default; objects above it go multipart. */
const DEFAULT_PART_SIZE = 64 * 1024 * 1024;

function errorCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

function parseEndpoint(endpoint: string, useSSL: boolean): { host: string; port: number } {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(endpoint);
  if (!m?.[1]) {
    throw new InvalidObjectKeyError(`Invalid S3 endpoint "${endpoint}": expected host:port without scheme`);
  }
  return { host: m[1], port: m[2] ? Number(m[2]) : useSSL ? 443 : 80 };
}

/**
 * Object store over S3/MinIO through the `minio` client (path-style requests).
 *
 * Uploads: the minio client sends objects up to `partSize` (64 MiB) as one PUT and buffers
 * that PUT in memory to compute its MD5; larger objects use multipart. A stream of unknown
 * length would make it pick a ~550 MiB part size and buffer that, so streams are spooled to
 * a temporary file first and uploaded with a known size.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly buckets: Buckets;
  private readonly client: Client;
  private readonly region: string;
  private readonly spoolDir: string;

  constructor(config: Omit<S3ObjectStoreConfig, 'kind'>) {
    this.buckets = validateBuckets(config.buckets);
    this.region = config.region ?? 'us-east-1';
    this.spoolDir = config.spoolDir ?? tmpdir();
    const { host, port } = parseEndpoint(config.endpoint, config.useSSL);
    this.client = new Client({
      endPoint: host,
      port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: this.region,
      pathStyle: true,
      partSize: config.partSize ?? DEFAULT_PART_SIZE,
    });
  }

  async ensureBuckets(): Promise<void> {
    await Promise.all(
      TIERS.map(async (tier) => {
        const bucket = this.buckets[tier];
        if (await this.client.bucketExists(bucket)) return;
        try {
          await this.client.makeBucket(bucket, this.region);
        } catch (err) {
          // Another worker created it between our check and our create.
          const code = errorCode(err);
          if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
        }
      }),
    );
  }

  async put(key: ObjectKey, body: Uint8Array | Readable, opts: PutOptions = {}): Promise<PutResult> {
    this.checkWrite(key, opts);
    if (body instanceof Uint8Array) {
      const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      const { etag } = await this.client.putObject(key.bucket, key.path, buf, buf.length, this.headers(key, opts));
      return { etag, size: buf.length };
    }
    const spool = join(this.spoolDir, `lake-spool-${randomUUID()}`);
    try {
      await pipeline(body, createWriteStream(spool));
      return await this.upload(key, spool, opts);
    } finally {
      await rm(spool, { force: true });
    }
  }

  async putFile(key: ObjectKey, localPath: string, opts: PutOptions = {}): Promise<PutResult> {
    this.checkWrite(key, opts);
    return this.upload(key, localPath, opts);
  }

  async get(key: ObjectKey): Promise<Readable> {
    this.checkKey(key);
    try {
      return await this.client.getObject(key.bucket, key.path);
    } catch (err) {
      throw this.mapError(err, key);
    }
  }

  async getBytes(key: ObjectKey): Promise<Uint8Array> {
    return buffer(await this.get(key));
  }

  async getRange(key: ObjectKey, start: number, end: number): Promise<Uint8Array> {
    this.checkKey(key);
    assertRange(start, end);
    if (start === end) {
      if (!(await this.exists(key))) throw new ObjectNotFoundError(formatObjectKey(key));
      return new Uint8Array(0);
    }
    try {
      const bytes = await buffer(await this.client.getPartialObject(key.bucket, key.path, start, end - start));
      // s3rver reads `Range: bytes=0-0` as "from 0 to the end"; S3 never sends more than asked.
      return bytes.length > end - start ? bytes.subarray(0, end - start) : bytes;
    } catch (err) {
      // S3 answers 416 when start >= size: the contract says "clipped", i.e. empty.
      if (errorCode(err) === 'InvalidRange') return new Uint8Array(0);
      throw this.mapError(err, key);
    }
  }

  async stat(key: ObjectKey): Promise<ObjectStat | null> {
    this.checkKey(key);
    try {
      const st = await this.client.statObject(key.bucket, key.path);
      const metadata: Record<string, string> = {};
      let contentType = 'application/octet-stream';
      for (const [k, v] of Object.entries(st.metaData as Record<string, unknown>)) {
        const name = k.toLowerCase();
        if (name === 'content-type') contentType = String(v);
        // extractMetadata strips `x-amz-meta-` but keeps other headers it knows: drop those.
        else if (!/^(content-|cache-control$|expires$|x-amz-|last-modified$|etag$)/.test(name)) metadata[name] = String(v);
      }
      return { size: st.size, etag: st.etag, lastModified: st.lastModified, contentType, metadata };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async exists(key: ObjectKey): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async *list(prefix: ObjectPrefix): AsyncIterable<ObjectListing> {
    assertKeyInBuckets(prefix, this.buckets, true);
    // ListObjects V1 (marker = last key, 1000 keys per page), not V2: s3rver builds V2
    // continuation tokens with DES, which Node 20's OpenSSL 3 refuses (HTTP 500 after the
    // first page). V1 is fully supported by S3 and MinIO.
    const stream = this.client.listObjects(prefix.bucket, prefix.path, true);
    for await (const item of stream as AsyncIterable<BucketItem>) {
      if (!item.name) continue; // common prefixes do not occur in recursive listings
      let key: ObjectKey;
      try {
        key = makeObjectKey(prefix.tier, prefix.bucket, item.name);
      } catch {
        continue; // written by something else with a name no key can have
      }
      yield { key, size: item.size, etag: item.etag ?? '', lastModified: item.lastModified ?? new Date(0) };
    }
  }

  async delete(keys: readonly ObjectKey[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const key of keys) {
      this.checkKey(key);
      const paths = byBucket.get(key.bucket) ?? [];
      paths.push(key.path);
      byBucket.set(key.bucket, paths);
    }
    for (const [bucket, paths] of byBucket) {
      // removeObjects batches 1000 keys per DeleteObjects request; it reports failures in the
      // result instead of throwing.
      const errors = await this.client.removeObjects(bucket, paths);
      const failed = errors.filter((e) => e && typeof e === 'object' && 'Code' in e && e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new Error(`Failed to delete ${failed.length} objects from ${bucket}: ${JSON.stringify(failed.slice(0, 3))}`);
      }
    }
  }

  async copy(from: ObjectKey, to: ObjectKey): Promise<PutResult> {
    this.checkKey(from);
    this.checkWrite(to, {});
    // A CopyObject source above 5 GiB would need composeObject; lake files are far smaller.
    try {
      const res = await this.client.copyObject(to.bucket, to.path, `/${from.bucket}/${from.path}`);
      const st = await this.stat(to);
      return { etag: ('etag' in res && typeof res.etag === 'string' ? res.etag : st?.etag) ?? '', size: st?.size ?? 0 };
    } catch (err) {
      throw this.mapError(err, from);
    }
  }

  async presignGet(key: ObjectKey, expirySeconds = DEFAULT_PRESIGN_EXPIRY_SECONDS): Promise<string> {
    this.checkKey(key);
    return this.client.presignedGetObject(key.bucket, key.path, expirySeconds);
  }

  private async upload(key: ObjectKey, file: string, opts: PutOptions): Promise<PutResult> {
    const { size } = await stat(file);
    const { etag } = await this.client.putObject(key.bucket, key.path, createReadStream(file), size, this.headers(key, opts));
    return { etag, size };
  }

  private headers(key: ObjectKey, opts: PutOptions): Record<string, string> {
    // The minio client sends Content-Type as a header and prefixes the rest with x-amz-meta-.
    return { ...opts.metadata, 'Content-Type': opts.contentType ?? defaultContentType(key) };
  }

  private checkKey(key: ObjectKey): void {
    assertKeyInBuckets(key, this.buckets);
  }

  private checkWrite(key: ObjectKey, opts: PutOptions): void {
    this.checkKey(key);
    assertStorable(key);
    assertValidMetadata(key, opts.metadata);
  }

  private mapError(err: unknown, key: ObjectKey): unknown {
    return isNotFound(err) ? new ObjectNotFoundError(formatObjectKey(key)) : err;
  }
}
