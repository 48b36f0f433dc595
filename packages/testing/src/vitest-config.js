// Plain JS on purpose: vitest loads `vitest.config.ts` through Vite's config bundler, which
// externalizes workspace packages and hands them to Node's own loader, and Node 20 cannot
// load `.ts` ("Unknown file extension .ts"). Types live in `vitest-config.d.ts`. The global
// setup module stays TypeScript: vitest loads it through its module runner.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';

export const GLOBAL_SETUP_PATH = fileURLToPath(new URL('./global-setup.ts', import.meta.url));

export function defineLakeTestConfig(overrides = {}) {
  const base = defineConfig({
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      globalSetup: [GLOBAL_SETUP_PATH],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Forks, not threads: tests use native addons and process-wide state (env, signals).
      pool: 'forks',
      // The machine has 2 cores and every test file shares one PostgreSQL and one Redis;
      // isolation comes from unique names, not from running files one by one.
      maxWorkers: 2,
      fileParallelism: true,
    },
  });
  return mergeConfig(base, overrides);
}
