import { defineLakeTestConfig } from './src/vitest-config.js';

export default defineLakeTestConfig();
