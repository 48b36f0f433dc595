import { defineLakeTestConfig } from '@lake/testing/vitest-config';

export default defineLakeTestConfig();
