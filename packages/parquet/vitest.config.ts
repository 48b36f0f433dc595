import { defineConfig } from 'vitest/config';

// A library tested against files and DuckDB only: no S3, PostgreSQL or Redis, so none of the
// lake's global setup. Large round trips take seconds on a busy 2-core machine.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
