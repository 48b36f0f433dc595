import { defineLakeTestConfig } from '@lake/testing/vitest-config';

// End-to-end tests spawn five worker processes each; one file at a time keeps the 2-core machine honest.
export default defineLakeTestConfig({ test: { testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false } });
