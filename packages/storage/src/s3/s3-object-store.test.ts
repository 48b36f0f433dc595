import { testS3Env } from '@lake/testing';
import { describe, expect, it } from 'vitest';
import { createObjectStore } from '../create-object-store.js';
import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import { DEFAULT_BUCKETS } from '../layout/buckets.js';
import { describeObjectStoreContract } from '../object-store-contract.js';
import { S3ObjectStore } from './s3-object-store.js';

describeObjectStoreContract('s3 [s3]', () => createObjectStore({ kind: 's3', ...testS3Env(), buckets: DEFAULT_BUCKETS }));

describe('S3ObjectStore specifics [s3]', () => {
  it('rejects an endpoint with a scheme', () => {
    expect(
      () => new S3ObjectStore({ ...testS3Env(), endpoint: 'http://127.0.0.1:9000', buckets: DEFAULT_BUCKETS }),
    ).toThrow(InvalidObjectKeyError);
  });

  it('creates missing buckets', async () => {
    const suffix = Date.now().toString(36);
    const buckets = { raw: `t${suffix}-raw`, normalized: `t${suffix}-norm`, curated: `t${suffix}-cur`, metadata: `t${suffix}-meta` };
    const store = new S3ObjectStore({ ...testS3Env(), buckets });
    await Promise.all([store.ensureBuckets(), store.ensureBuckets()]);
    const { createStorageLayout } = await import('../layout/storage-layout.js');
    const key = createStorageLayout(buckets).rawKey('soil', 'x.csv');
    await store.put(key, new TextEncoder().encode('a'));
    expect(await store.exists(key)).toBe(true);
  });
});
