export * from './lake-type.js';
export * from './dataset-contract.js';
export * from './job-catalog.js';
export type * from './lineage-event.js';
export { OPENLINEAGE_SCHEMA_URL, LAKE_PRODUCER } from './lineage-event.js';
export * from './permanent-error.js';
export * from './quarantine-columns.js';
export * from './contract-compatibility.js';
export * from './file-staging.js';
