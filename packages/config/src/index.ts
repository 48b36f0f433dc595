export * from './env-fragments.js';
export * from './derived-config.js';
export * from './worker-launch.js';
