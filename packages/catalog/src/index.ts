export * from './catalog-connection.js';
export type * from './catalog-schema.js';
export * from './runs.js';
export * from './commit.js';
export * from './reads.js';
export * from './retention.js';
