import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../create-object-store.js';
import { createStorageLayout } from '../layout/storage-layout.js';
import { describeObjectStoreContract } from '../object-store-contract.js';
import { LocalObjectStore } from './local-object-store.js';

const roots: string[] = [];
async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'lake-local-store-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describeObjectStoreContract('local', async () => createObjectStore({ kind: 'local', root: await makeRoot() }));

describe('LocalObjectStore specifics', () => {
  const layout = createStorageLayout();

  it('leaves no temp files behind and prunes empty directories on delete', async () => {
    const root = await makeRoot();
    const store = new LocalObjectStore({ root });
    await store.ensureBuckets();
    const key = layout.normalizedKey('soil', 'samples', 1, [['site', 'A 1']], 'part-0.parquet');
    await store.put(key, new Uint8Array([1, 2, 3]));
    expect(await readdir(join(root, '.lake-tmp'))).toEqual([]);
    expect(await readdir(join(root, 'bijmantra-normalized', 'soil', 'samples', 'v1'))).toEqual(['site=A%201']);
    await store.delete([key]);
    expect(await readdir(join(root, 'bijmantra-normalized'))).toEqual([]);
  });

  it('recomputes the etag when the sidecar is stale', async () => {
    const root = await makeRoot();
    const store = new LocalObjectStore({ root });
    const key = layout.rawKey('soil', 'notes.txt');
    await store.put(key, new TextEncoder().encode('one'));
    await rm(join(root, '.lake-meta'), { recursive: true });
    expect((await store.stat(key))?.etag).toBe('f97c5d29941bfb1b2fdab0874906ab82'); // md5("one")
  });
});

describe('LocalObjectStore listing order', () => {
  it('yields keys in S3 byte order ("a-b" before "a/x")', async () => {
    const layout = createStorageLayout();
    const store = new LocalObjectStore({ root: await makeRoot() });
    const keys = [layout.rawKey('soil', 'd', 'a', 'x.csv'), layout.rawKey('soil', 'd', 'a-b.csv'), layout.rawKey('soil', 'd', 'a.csv')];
    for (const key of keys) await store.put(key, new Uint8Array([1]));
    const listed: string[] = [];
    for await (const item of store.list(layout.rawPrefix('soil', 'd'))) listed.push(item.key.path);
    expect(listed).toEqual(['soil/d/a-b.csv', 'soil/d/a.csv', 'soil/d/a/x.csv']);
  });
});
