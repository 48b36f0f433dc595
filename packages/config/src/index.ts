export * from './env-fragments.js';
export * from './derived-config.js';
