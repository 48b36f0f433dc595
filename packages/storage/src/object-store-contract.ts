import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { uniqueName } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from './errors/invalid-object-key-error.js';
import { ObjectNotFoundError } from './errors/object-not-found-error.js';
import { RefusedObjectError } from './errors/refused-object-error.js';
import { createStorageLayout } from './layout/storage-layout.js';
import type { ObjectKey, ObjectPrefix } from './layout/object-key.js';
import type { ObjectListing, ObjectStore } from './object-store.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const bytes = (s: string) => new Uint8Array(Buffer.from(s));
/** Backends may return a Buffer (a Uint8Array subclass); compare contents only. */
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

async function collect(it: AsyncIterable<ObjectListing>): Promise<ObjectListing[]> {
  const out: ObjectListing[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Node's fetch has no file: scheme; the local backend presigns file:// URLs. */
async function readUrl(url: string): Promise<Uint8Array> {
  if (url.startsWith('file:')) return readFile(new URL(url));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} -> ${res.status}: ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * The behaviour every ObjectStore backend must share. Each test works under its own unique
 * dataset or raw path, so backends may share buckets across test files.
 */
export function describeObjectStoreContract(name: string, makeStore: () => Promise<ObjectStore> | ObjectStore): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    const layout = createStorageLayout();
    let scratch: string;

    beforeAll(async () => {
      store = await makeStore();
      await store.ensureBuckets();
      await store.ensureBuckets(); // idempotent
      scratch = await mkdtemp(join(tmpdir(), 'lake-storage-contract-'));
    });
    afterAll(async () => {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    const rawKey = (file = 'data.csv') => layout.rawKey('phenotype', uniqueName('upload'), file);
    const parquetKey = (dataset = uniqueName('ds'), version = 1, file = 'part-0.parquet') =>
      layout.normalizedKey('phenotype', dataset, version, [['study_id', 7]], file);

    describe('put and get', () => {
      it('round-trips bytes with an md5 etag and the size', async () => {
        const key = parquetKey();
        const body = bytes('PAR1 hello parquet PAR1');
        const res = await store.put(key, body);
        expect(res).toEqual({ etag: md5(body), size: body.length });
        expect(hex(await store.getBytes(key))).toBe(hex(body));
        expect(hex(await buffer(await store.get(key)))).toBe(hex(body));
      });

      it('accepts a Uint8Array view into a larger buffer', async () => {
        const key = parquetKey();
        const whole = bytes('xxxPAYLOADyyy');
        const view = whole.subarray(3, 10);
        expect((await store.put(key, view)).size).toBe(7);
        expect(Buffer.from(await store.getBytes(key)).toString()).toBe('PAYLOAD');
      });

      it('round-trips a stream of unknown length', async () => {
        const key = rawKey('log.txt');
        const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`line ${i}\n`));
        const res = await store.put(key, Readable.from(chunks));
        const all = Buffer.concat(chunks);
        expect(res).toEqual({ etag: md5(all), size: all.length });
        expect(Buffer.from(await store.getBytes(key)).equals(all)).toBe(true);
      });

      it('stores empty objects', async () => {
        const key = rawKey('empty.csv');
        expect(await store.put(key, new Uint8Array(0))).toEqual({ etag: md5(new Uint8Array(0)), size: 0 });
        expect((await store.getBytes(key)).length).toBe(0);
        expect((await store.stat(key))?.size).toBe(0);
      });

      it('overwrites an existing key', async () => {
        const key = rawKey();
        await store.put(key, bytes('first'));
        const second = bytes('second version');
        const res = await store.put(key, second);
        expect(res.etag).toBe(md5(second));
        expect(hex(await store.getBytes(key))).toBe(hex(second));
        expect((await store.stat(key))?.etag).toBe(md5(second));
      });
    });

    describe('getRange', () => {
      it('returns [start, end) clipped to the object', async () => {
        const key = parquetKey();
        await store.put(key, bytes('0123456789'));
        const s = async (a: number, b: number) => Buffer.from(await store.getRange(key, a, b)).toString();
        expect(await s(2, 5)).toBe('234');
        expect(await s(0, 1)).toBe('0');
        expect(await s(6, 10)).toBe('6789');
        expect(await s(6, 100)).toBe('6789');
        expect(await s(4, 4)).toBe('');
        expect(await s(10, 12)).toBe('');
        expect(await s(50, 60)).toBe('');
      });

      it('rejects negative or reversed bounds', async () => {
        const key = parquetKey();
        await store.put(key, bytes('0123456789'));
        await expect(store.getRange(key, -1, 3)).rejects.toThrow(RangeError);
        await expect(store.getRange(key, 5, 3)).rejects.toThrow(RangeError);
      });
    });

    describe('stat and exists', () => {
      it('reports size, etag, time, content type and metadata', async () => {
        const key = parquetKey();
        const body = bytes('stat me');
        const before = Date.now();
        await store.put(key, body, { metadata: { 'contract-version': '1.2.0', 'run-id': 'r-1' } });
        const st = await store.stat(key);
        expect(st).not.toBeNull();
        expect(st?.size).toBe(body.length);
        expect(st?.etag).toBe(md5(body));
        // S3 keeps seconds only.
        expect(st?.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000);
        expect(st?.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
        expect(st?.contentType).toBe('application/vnd.apache.parquet');
        expect(st?.metadata).toEqual({ 'contract-version': '1.2.0', 'run-id': 'r-1' });
        expect(await store.exists(key)).toBe(true);
      });

      it('honours an explicit content type', async () => {
        const key = rawKey('payload.json');
        await store.put(key, bytes('{}'), { contentType: 'application/vnd.brapi+json' });
        expect((await store.stat(key))?.contentType).toBe('application/vnd.brapi+json');
      });

      it('refuses malformed metadata', async () => {
        const key = rawKey();
        await expect(store.put(key, bytes('x'), { metadata: { 'Bad Key': 'v' } })).rejects.toThrow(RefusedObjectError);
        await expect(store.put(key, bytes('x'), { metadata: { ok: 'naïve' } })).rejects.toThrow(RefusedObjectError);
        await expect(store.put(key, bytes('x'), { metadata: { 'content-type': 'x' } })).rejects.toThrow(RefusedObjectError);
        expect(await store.exists(key)).toBe(false);
      });
    });

    describe('missing keys', () => {
      it('stat is null, exists is false, reads throw ObjectNotFoundError naming the key', async () => {
        const key = parquetKey();
        const name = `${key.bucket}/${key.path}`;
        expect(await store.stat(key)).toBeNull();
        expect(await store.exists(key)).toBe(false);
        await expect(store.get(key)).rejects.toThrow(ObjectNotFoundError);
        await expect(store.getBytes(key)).rejects.toThrow(name);
        await expect(store.getRange(key, 0, 10)).rejects.toThrow(ObjectNotFoundError);
        await expect(store.getRange(key, 0, 0)).rejects.toThrow(ObjectNotFoundError);
        await expect(store.copy(key, parquetKey())).rejects.toThrow(ObjectNotFoundError);
      });

      it('a prefix of existing keys is not an object', async () => {
        const dataset = uniqueName('ds');
        await store.put(parquetKey(dataset), bytes('x'));
        const asKey = layout.parseKey(`${layout.buckets.normalized}/phenotype/${dataset}/v1`);
        expect(await store.stat(asKey)).toBeNull();
        await expect(store.getBytes(asKey)).rejects.toThrow(ObjectNotFoundError);
      });

      it('deleting missing keys is not an error', async () => {
        await expect(store.delete([parquetKey(), rawKey()])).resolves.toBeUndefined();
        await expect(store.delete([])).resolves.toBeUndefined();
      });
    });

    describe('list', () => {
      it('lists recursively, only under the prefix (v1/ never matches v10/)', async () => {
        const dataset = uniqueName('ds');
        const k = (v: number, study: number, file: string) =>
          layout.normalizedKey('phenotype', dataset, v, [['study_id', study]], file);
        const keys = [k(1, 2, 'a.parquet'), k(1, 10, 'b.parquet'), k(1, 2, 'c.parquet'), k(10, 1, 'x.parquet'), k(2, 1, 'y.parquet')];
        for (const key of keys) await store.put(key, bytes(key.path));

        const v1 = (await collect(store.list(layout.versionPrefix('phenotype', dataset, 1)))).sort((a, b) =>
          a.key.path < b.key.path ? -1 : 1,
        );
        expect(v1.map((x) => x.key.path)).toEqual([
          `phenotype/${dataset}/v1/study_id=10/b.parquet`,
          `phenotype/${dataset}/v1/study_id=2/a.parquet`,
          `phenotype/${dataset}/v1/study_id=2/c.parquet`,
        ]);
        const first = v1[0] as ObjectListing;
        expect(first.key).toEqual(k(1, 10, 'b.parquet'));
        expect(first.size).toBe(first.key.path.length);
        expect(first.etag).toBe(md5(bytes(first.key.path)));
        expect(first.lastModified).toBeInstanceOf(Date);

        const all = await collect(store.list(layout.datasetPrefix('phenotype', dataset)));
        expect(all.map((x) => x.key.path).sort()).toEqual([...keys.map((x) => x.path)].sort());
        expect(await collect(store.list(layout.versionPrefix('phenotype', dataset, 3)))).toEqual([]);
      });

      it('lists a file and a directory sharing a name prefix', async () => {
        const dir = uniqueName('order');
        const keys = [layout.rawKey('soil', dir, 'a', 'x.csv'), layout.rawKey('soil', dir, 'a-b.csv'), layout.rawKey('soil', dir, 'a.csv')];
        for (const key of keys) await store.put(key, bytes('1'));
        const listed = await collect(store.list(layout.rawPrefix('soil', dir)));
        // Order is not part of the contract: s3rver yields "a/x" before "a-b" (S3 does not).
        expect(listed.map((x) => x.key.path).sort()).toEqual([`soil/${dir}/a-b.csv`, `soil/${dir}/a.csv`, `soil/${dir}/a/x.csv`]);
      });

      it('pages past 1000 keys and bulk-deletes them all', async () => {
        const runId = uniqueName('run').replace(/_/g, '-');
        const keys: ObjectKey[] = Array.from({ length: 1050 }, (_, i) =>
          layout.stagingKey('sensor', runId, 'readings', [['device', `d${i % 7}`]], `part-${String(i).padStart(5, '0')}.parquet`),
        );
        await runLimited(keys, 16, (key) => store.put(key, bytes('p')));
        const prefix: ObjectPrefix = layout.stagingPrefix('sensor', runId);
        const listed = await collect(store.list(prefix));
        expect(listed.length).toBe(1050);
        expect(new Set(listed.map((x) => x.key.path))).toEqual(new Set(keys.map((x) => x.path)));

        await store.delete(listed.map((x) => x.key));
        expect(await collect(store.list(prefix))).toEqual([]);
      });
    });

    describe('delete', () => {
      it('deletes many keys across buckets and leaves others', async () => {
        const a = parquetKey();
        const b = rawKey();
        const keep = rawKey();
        for (const key of [a, b, keep]) await store.put(key, bytes('x'));
        await store.delete([a, b]);
        expect(await store.exists(a)).toBe(false);
        expect(await store.exists(b)).toBe(false);
        expect(await store.exists(keep)).toBe(true);
      });
    });

    describe('copy', () => {
      it('copies content, etag, content type and metadata', async () => {
        const from = parquetKey();
        const to = parquetKey();
        const body = bytes('copy me');
        await store.put(from, body, { metadata: { origin: 'test' } });
        const res = await store.copy(from, to);
        expect(res).toEqual({ etag: md5(body), size: body.length });
        expect(hex(await store.getBytes(to))).toBe(hex(body));
        const st = await store.stat(to);
        expect(st?.metadata).toEqual({ origin: 'test' });
        expect(st?.contentType).toBe('application/vnd.apache.parquet');
        expect(hex(await store.getBytes(from))).toBe(hex(body));
      });

      it('copies staging Parquet into the normalized tier but refuses CSV there', async () => {
        const staged = layout.stagingKey('climate', uniqueName('run'), 'daily', [], 'part-0.parquet');
        await store.put(staged, bytes('PAR1'));
        const published = layout.normalizedKey('climate', uniqueName('ds'), 1, [], 'part-0.parquet');
        await store.copy(staged, published);
        expect(hex(await store.getBytes(published))).toBe(hex(bytes('PAR1')));

        const csv = rawKey('data.csv');
        await store.put(csv, bytes('a,b\n1,2\n'));
        const target = layout.normalizedKey('climate', uniqueName('ds'), 1, [], 'data.csv');
        await expect(store.copy(csv, target)).rejects.toThrow(RefusedObjectError);
        expect(await store.exists(target)).toBe(false);
      });
    });

    describe('presignGet', () => {
      it('returns a URL that reads the bytes without credentials', async () => {
        const key = parquetKey();
        const body = new Uint8Array(randomBytes(4096));
        await store.put(key, body);
        const url = await store.presignGet(key, 60);
        expect(hex(await readUrl(url))).toBe(hex(body));
      });
    });

    describe('format refusal', () => {
      const refused: Array<[string, () => ObjectKey]> = [
        ['.arrow in raw', () => rawKey('table.arrow')],
        ['.feather in raw', () => rawKey('table.feather')],
        ['.arrows in normalized', () => parquetKey(undefined, 1, 'batch.arrows')],
        ['.ipc in curated', () => layout.curatedKey('ai_features', uniqueName('ds'), 1, 'x.ipc')],
        ['.csv in normalized', () => parquetKey(undefined, 1, 'rows.csv')],
        ['.tsv in curated', () => layout.curatedKey('reports', uniqueName('ds'), 1, 'r.tsv')],
        ['.json in curated', () => layout.curatedKey('analysis_ready', uniqueName('ds'), 1, 'r.json')],
        ['.ndjson in metadata', () => layout.metadataKey('lineage', 'soil', uniqueName('ds'), 'events.ndjson')],
        ['.csv in metadata', () => layout.metadataKey('dictionaries', 'soil', uniqueName('ds'), 'dict.csv')],
        ['no extension in normalized', () => parquetKey(undefined, 1, 'part-0')],
      ];
      for (const [label, make] of refused) {
        it(`refuses ${label}, naming the key, and writes nothing`, async () => {
          const key = make();
          const name = `${key.bucket}/${key.path}`;
          await expect(store.put(key, bytes('x'))).rejects.toThrow(RefusedObjectError);
          await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(name);
          const file = join(scratch, uniqueName('f'));
          await writeFile(file, 'x');
          await expect(store.putFile(key, file)).rejects.toThrow(name);
          expect(await store.exists(key)).toBe(false);
        });
      }

      it('accepts raw CSV/TSV/JSON/NDJSON, metadata YAML/JSON, Parquet in every tier', async () => {
        const accepted = [
          rawKey('a.csv'),
          rawKey('a.tsv'),
          rawKey('brapi.json'),
          rawKey('events.ndjson'),
          rawKey('calls.vcf'),
          layout.metadataKey('schemas', 'genotype', uniqueName('ds'), 'contract.yaml'),
          layout.metadataKey('lineage', 'genotype', uniqueName('ds'), 'run.json'),
          layout.curatedKey('reports', uniqueName('ds'), 3, 'summary.parquet'),
        ];
        for (const key of accepted) await store.put(key, bytes('ok'));
        for (const key of accepted) expect(await store.exists(key)).toBe(true);
      });
    });

    describe('key validation', () => {
      const forged = (bucket: string, tier: string, path: string) => ({ bucket, tier, path }) as unknown as ObjectKey;

      it('rejects keys forged around the layout', async () => {
        const b = layout.buckets;
        const cases = [
          forged(b.raw, 'raw', '../escape.csv'),
          forged(b.raw, 'raw', 'phenotype/../../etc/passwd'),
          forged(b.raw, 'raw', '/abs.csv'),
          forged(b.raw, 'raw', 'phenotype//x.csv'),
          forged(b.raw, 'raw', 'phenotype/has space.csv'),
          forged(b.raw, 'normalized', 'phenotype/x/v1/a.parquet'), // tier/bucket mismatch
          forged('other-bucket', 'raw', 'phenotype/a.csv'),
        ];
        for (const key of cases) {
          await expect(store.put(key, bytes('x')), key.path).rejects.toThrow(InvalidObjectKeyError);
          await expect(store.getBytes(key), key.path).rejects.toThrow(InvalidObjectKeyError);
          await expect(store.stat(key), key.path).rejects.toThrow(InvalidObjectKeyError);
          await expect(store.delete([key]), key.path).rejects.toThrow(InvalidObjectKeyError);
        }
      });

      it('accepts keys parsed back from their string form', async () => {
        const key = parquetKey();
        await store.put(key, bytes('round trip'));
        const parsed = layout.parseKey(`${key.bucket}/${key.path}`);
        expect(parsed).toEqual(key);
        expect(hex(await store.getBytes(parsed))).toBe(hex(bytes('round trip')));
      });
    });

    describe('large objects', () => {
      it('uploads ~20 MB with putFile and reads it back by stream and range', async () => {
        const size = 20 * 1024 * 1024 + 123;
        const body = randomBytes(size);
        const file = join(scratch, 'large.bin');
        await writeFile(file, body);
        const key = parquetKey(undefined, 1, 'large.parquet');

        const res = await store.putFile(key, file);
        expect(res).toEqual({ etag: md5(body), size });
        expect((await store.stat(key))?.size).toBe(size);

        const hash = createHash('md5');
        for await (const chunk of await store.get(key)) hash.update(chunk as Buffer);
        expect(hash.digest('hex')).toBe(md5(body));

        const tail = await store.getRange(key, size - 8, size);
        expect(Buffer.from(tail).equals(body.subarray(size - 8))).toBe(true);
        const mid = await store.getRange(key, 10_000_000, 10_000_100);
        expect(Buffer.from(mid).equals(body.subarray(10_000_000, 10_000_100))).toBe(true);
        await store.delete([key]);
      });
    });
  });
}
