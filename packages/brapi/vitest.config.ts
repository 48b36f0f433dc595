import { defineConfig } from 'vitest/config';

// Own minimal config rather than @lake/testing's: a pure library needs no S3 global setup.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    pool: 'forks',
  },
});
