import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { ObjectNotFoundError } from '../errors/object-not-found-error.js';
import { type Buckets, DEFAULT_BUCKETS, TIERS, validateBuckets } from '../layout/buckets.js';
import {
  assertKeyInBuckets,
  formatObjectKey,
  makeObjectKey,
  type ObjectKey,
  type ObjectPrefix,
} from '../layout/object-key.js';
import {
  assertRange,
  type ObjectListing,
  type ObjectStat,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from '../object-store.js';
import { assertStorable, assertValidMetadata, defaultContentType } from '../rules/object-rules.js';
import type { LocalObjectStoreConfig } from './local-object-store-config.js';

/** What S3 keeps next to an object; stored in a sidecar JSON under `.lake-meta/`. */
interface Sidecar {
  etag: string;
  size: number;
  /** The sidecar is trusted only while the object's size and mtime still match. */
  mtimeMs: number;
  contentType: string;
  metadata: Record<string, string>;
}

const TMP_DIR = '.lake-tmp';
const META_DIR = '.lake-meta';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * Object store over a local directory: bucket = subdirectory, key path = relative file path.
 *
 * Writes are atomic: content goes to `.lake-tmp/` (same filesystem), is flushed, then renamed
 * into place, so readers see the old or the new object, never a partial one. Etags are the
 * MD5 hex of the content, cached with content type and metadata in a sidecar that is
 * re-validated against size and mtime (a crash between the two renames only costs a re-hash).
 *
 * Differences from S3, by nature of a filesystem: a key cannot be both an object and a prefix
 * of other keys (`a` and `a/b`), and on case-insensitive filesystems partition values that
 * differ only in case collide. The layout makes both unlikely.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly buckets: Buckets;
  readonly root: string;

  constructor(config: Omit<LocalObjectStoreConfig, 'kind'>) {
    this.root = resolve(config.root);
    this.buckets = validateBuckets(config.buckets ?? DEFAULT_BUCKETS);
  }

  async ensureBuckets(): Promise<void> {
    await Promise.all(
      [...TIERS.map((t) => this.buckets[t]), TMP_DIR, META_DIR].map((d) => mkdir(join(this.root, d), { recursive: true })),
    );
  }

  async put(key: ObjectKey, body: Uint8Array | Readable, opts: PutOptions = {}): Promise<PutResult> {
    this.checkWrite(key, opts);
    const tmp = await this.tempPath();
    try {
      const hash = createHash('md5');
      let size = 0;
      if (body instanceof Uint8Array) {
        hash.update(body);
        size = body.length;
        await writeFile(tmp, body, { flush: true });
      } else {
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        });
        await pipeline(body, counter, createWriteStream(tmp, { flush: true }));
      }
      const etag = hash.digest('hex');
      await this.commit(key, tmp, {
        etag,
        contentType: opts.contentType ?? defaultContentType(key),
        metadata: { ...opts.metadata },
      });
      return { etag, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async putFile(key: ObjectKey, localPath: string, opts: PutOptions = {}): Promise<PutResult> {
    this.checkWrite(key, opts);
    return this.put(key, createReadStream(localPath), opts);
  }

  async get(key: ObjectKey): Promise<Readable> {
    this.checkKey(key);
    try {
      const fh = await open(this.objectPath(key), 'r');
      return fh.createReadStream();
    } catch (err) {
      throw isMissing(err) ? new ObjectNotFoundError(formatObjectKey(key)) : err;
    }
  }

  async getBytes(key: ObjectKey): Promise<Uint8Array> {
    this.checkKey(key);
    try {
      return await readFile(this.objectPath(key));
    } catch (err) {
      throw isMissing(err) ? new ObjectNotFoundError(formatObjectKey(key)) : err;
    }
  }

  async getRange(key: ObjectKey, start: number, end: number): Promise<Uint8Array> {
    this.checkKey(key);
    assertRange(start, end);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.objectPath(key), 'r');
    } catch (err) {
      throw isMissing(err) ? new ObjectNotFoundError(formatObjectKey(key)) : err;
    }
    try {
      const { size } = await fh.stat();
      const length = Math.max(0, Math.min(end, size) - start);
      const buf = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await fh.read(buf, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    } finally {
      await fh.close();
    }
  }

  async stat(key: ObjectKey): Promise<ObjectStat | null> {
    this.checkKey(key);
    const file = this.objectPath(key);
    try {
      const st = await stat(file);
      if (!st.isFile()) return null;
      const meta = await this.readSidecar(key, file, st.size, st.mtimeMs);
      return { size: st.size, etag: meta.etag, lastModified: st.mtime, contentType: meta.contentType, metadata: meta.metadata };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async exists(key: ObjectKey): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async *list(prefix: ObjectPrefix): AsyncIterable<ObjectListing> {
    assertKeyInBuckets(prefix, this.buckets, true);
    const bucketDir = join(this.root, prefix.bucket);
    for await (const rel of this.walk(bucketDir, prefix.path.replace(/\/$/, ''))) {
      let key: ObjectKey;
      try {
        key = makeObjectKey(prefix.tier, prefix.bucket, rel);
      } catch {
        continue; // a file dropped into the directory by hand, with a name no key can have
      }
      const file = this.objectPath(key);
      try {
        const st = await stat(file);
        const meta = await this.readSidecar(key, file, st.size, st.mtimeMs);
        yield { key, size: st.size, etag: meta.etag, lastModified: st.mtime };
      } catch (err) {
        if (!isMissing(err)) throw err; // deleted while listing
      }
    }
  }

  async delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const key of keys) this.checkKey(key);
    for (const key of keys) {
      const file = this.objectPath(key);
      await rm(file, { force: true });
      await rm(this.sidecarPath(key), { force: true });
      await this.pruneEmptyDirs(dirname(file), join(this.root, key.bucket));
      await this.pruneEmptyDirs(dirname(this.sidecarPath(key)), join(this.root, META_DIR));
    }
  }

  async copy(from: ObjectKey, to: ObjectKey): Promise<PutResult> {
    this.checkKey(from);
    this.checkWrite(to, {});
    const source = this.objectPath(from);
    const tmp = await this.tempPath();
    try {
      let st: Awaited<ReturnType<typeof stat>>;
      try {
        st = await stat(source);
        if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      } catch (err) {
        throw isMissing(err) ? new ObjectNotFoundError(formatObjectKey(from)) : err;
      }
      const meta = await this.readSidecar(from, source, st.size, st.mtimeMs);
      await copyFile(source, tmp);
      await this.commit(to, tmp, { etag: meta.etag, contentType: meta.contentType, metadata: meta.metadata });
      return { etag: meta.etag, size: st.size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async presignGet(key: ObjectKey, _expirySeconds?: number): Promise<string> {
    this.checkKey(key);
    return pathToFileURL(this.objectPath(key)).href;
  }

  private checkKey(key: ObjectKey): void {
    assertKeyInBuckets(key, this.buckets);
  }

  private checkWrite(key: ObjectKey, opts: PutOptions): void {
    this.checkKey(key);
    assertStorable(key);
    assertValidMetadata(key, opts.metadata);
  }

  private objectPath(key: ObjectKey): string {
    return join(this.root, key.bucket, ...key.path.split('/'));
  }

  private sidecarPath(key: ObjectKey): string {
    return `${join(this.root, META_DIR, key.bucket, ...key.path.split('/'))}.json`;
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, TMP_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, randomUUID());
  }

  /** Renames a complete temp file into place, then records its sidecar. */
  private async commit(key: ObjectKey, tmp: string, meta: Omit<Sidecar, 'size' | 'mtimeMs'>): Promise<void> {
    const st = await stat(tmp); // rename keeps mtime, so this is the final object's mtime
    await this.renameInto(tmp, this.objectPath(key));
    const sidecar: Sidecar = { ...meta, size: st.size, mtimeMs: st.mtimeMs };
    const sidecarTmp = await this.tempPath();
    try {
      await writeFile(sidecarTmp, JSON.stringify(sidecar));
      await this.renameInto(sidecarTmp, this.sidecarPath(key));
    } finally {
      await rm(sidecarTmp, { force: true });
    }
  }

  /** A concurrent delete may prune the parent directory between mkdir and rename: retry. */
  private async renameInto(from: string, to: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(to), { recursive: true });
      try {
        await rename(from, to);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
      }
    }
  }

  private async readSidecar(key: ObjectKey, file: string, size: number, mtimeMs: number): Promise<Sidecar> {
    try {
      const s = JSON.parse(await readFile(this.sidecarPath(key), 'utf8')) as Sidecar;
      if (s.size === size && s.mtimeMs === mtimeMs) return s;
    } catch (err) {
      if (!isMissing(err) && !(err instanceof SyntaxError)) throw err;
    }
    const hash = createHash('md5');
    await pipeline(createReadStream(file), hash);
    return { etag: hash.digest('hex'), size, mtimeMs, contentType: defaultContentType(key), metadata: {} };
  }

  /** Relative paths of all files under `bucketDir/relDir`, in S3 key order. */
  private async *walk(bucketDir: string, relDir: string): AsyncIterable<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(relDir ? join(bucketDir, ...relDir.split('/')) : bucketDir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    // Sorting directories as "name/" reproduces S3's byte order of full keys ("a-b" < "a/x").
    const sortName = (e: Dirent) => (e.isDirectory() ? `${e.name}/` : e.name);
    entries.sort((a, b) => Buffer.compare(Buffer.from(sortName(a)), Buffer.from(sortName(b))));
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) yield* this.walk(bucketDir, rel);
      else if (e.isFile()) yield rel;
    }
  }

  private async pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
    for (let d = dir; d.startsWith(`${stopAt}/`); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return; // not empty, already gone, or raced with a writer
      }
    }
  }
}
