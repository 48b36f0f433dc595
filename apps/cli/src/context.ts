import { catalogConfig, queueConfig, storeConfig } from '@lake/config';
import { type Catalog, openCatalog } from '@lake/catalog';
import { LakeQueues } from '@lake/queue';
import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import type { Env } from './env.js';

/** What commands use, opened on first use and closed once at exit. */
export class CliContext {
  private catalogValue?: Catalog;
  private queuesValue?: LakeQueues;
  private storeValue?: ObjectStore;

  constructor(readonly env: Env) {}

  async catalog(): Promise<Catalog> {
    if (!this.catalogValue) {
      this.catalogValue = openCatalog({ ...catalogConfig(this.env), poolSize: 4 });
      await this.catalogValue.migrate();
    }
    return this.catalogValue;
  }

  queues(): LakeQueues {
    this.queuesValue ??= new LakeQueues(queueConfig(this.env));
    return this.queuesValue;
  }

  async store(): Promise<ObjectStore> {
    if (!this.storeValue) {
      this.storeValue = createObjectStore(storeConfig(this.env));
      await this.storeValue.ensureBuckets();
    }
    return this.storeValue;
  }

  async layout(): Promise<StorageLayout> {
    return createStorageLayout((await this.store()).buckets);
  }

  async close(): Promise<void> {
    await this.queuesValue?.close();
    await this.catalogValue?.close();
  }
}
