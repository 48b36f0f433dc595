import type { Buckets } from '../layout/buckets.js';

export interface LocalObjectStoreConfig {
  kind: 'local';
  /** Directory holding one subdirectory per bucket (plus `.lake-tmp/` and `.lake-meta/`). */
  root: string;
  /** @defaultValue DEFAULT_BUCKETS */
  buckets?: Buckets;
}
