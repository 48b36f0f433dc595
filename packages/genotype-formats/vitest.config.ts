import { defineConfig } from 'vitest/config';

// A pure library: no S3, PostgreSQL or Redis, so none of the lake's global setup
// (`@lake/testing/vitest-config` starts s3rver for every run).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
