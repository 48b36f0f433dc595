import { type DatasetContract, isFileSource } from '@lake/contracts';
import type { Logger } from '@lake/logging';
import type { ObjectStore, StorageLayout } from '@lake/storage';
import type { CreatedObject } from './minio-event.js';

/**
 * The fallback for stores without bucket notifications: lists every file dataset's raw prefix
 * and hands objects not seen before (by key and etag) to the processor. After a restart every
 * object is offered again; the trigger keys make that harmless (same key + etag → same run).
 */
export class RawPoller {
  private readonly seen = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly store: ObjectStore,
    private readonly layout: StorageLayout,
    private readonly contracts: () => Promise<DatasetContract[]>,
    private readonly handle: (objects: CreatedObject[]) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  /** One pass over the raw prefixes; resolves when the new objects were handed over. */
  async poll(): Promise<number> {
    let found = 0;
    for (const c of (await this.contracts()).filter(isFileSource)) {
      const fresh: CreatedObject[] = [];
      for await (const o of this.store.list(this.layout.rawPrefix(c.dataset.domain, c.dataset.name))) {
        const id = `${o.key.bucket}/${o.key.path}@${o.etag}`;
        if (this.seen.has(id)) continue;
        fresh.push({ bucket: o.key.bucket, path: o.key.path, etag: o.etag, size: o.size });
      }
      // Oldest first: files arrive as versions in the order they landed.
      fresh.sort((a, b) => a.path.localeCompare(b.path));
      if (fresh.length > 0) await this.handle(fresh);
      for (const o of fresh) this.seen.add(`${o.bucket}/${o.path}@${o.etag}`);
      found += fresh.length;
    }
    return found;
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.poll()
        .then((n) => (n > 0 ? this.log.info({ objects: n }, 'raw tier polled') : undefined))
        .catch((err: Error) => this.log.error({ err: err.message }, 'raw tier poll failed'))
        .finally(() => {
          this.timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
    clearTimeout(this.timer);
  }
}
