import type { ViteUserConfig } from 'vitest/config';

/** Absolute path of the global setup module (`global-setup.ts`). */
export declare const GLOBAL_SETUP_PATH: string;

/**
 * The vitest config every package and app uses:
 *
 * ```ts
 * // vitest.config.ts
 * import { defineLakeTestConfig } from '@lake/testing/vitest-config';
 * export default defineLakeTestConfig();
 * ```
 *
 * - node environment, tests `src/**\/*.test.ts` and `test/**\/*.test.ts`;
 * - the global setup that starts s3rver and sets `MINIO_*` (skipped if `MINIO_ENDPOINT` is set);
 * - `testTimeout` and `hookTimeout` 60 s: tests hit real PostgreSQL, Redis and S3;
 * - `pool: 'forks'`, at most 2 workers.
 *
 * `overrides` are deep-merged on top (vite's `mergeConfig`; arrays are concatenated).
 */
export declare function defineLakeTestConfig(overrides?: ViteUserConfig): ViteUserConfig;
