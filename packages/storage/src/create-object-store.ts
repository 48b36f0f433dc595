import type { LocalObjectStoreConfig } from './local/local-object-store-config.js';
import { LocalObjectStore } from './local/local-object-store.js';
import type { ObjectStore } from './object-store.js';
import type { S3ObjectStoreConfig } from './s3/s3-object-store-config.js';
import { S3ObjectStore } from './s3/s3-object-store.js';

export type ObjectStoreConfig = LocalObjectStoreConfig | S3ObjectStoreConfig;

/** Picks the backend from `config.kind`. Does not create buckets: call `ensureBuckets()`. */
export function createObjectStore(config: ObjectStoreConfig): ObjectStore {
  switch (config.kind) {
    case 'local':
      return new LocalObjectStore(config);
    case 's3':
      return new S3ObjectStore(config);
    default: {
      const never: never = config;
      throw new Error(`Unknown object store kind ${JSON.stringify((never as { kind: unknown }).kind)}`);
    }
  }
}
