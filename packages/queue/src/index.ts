export * from './connection.js';
export * from './lake-queues.js';
export * from './stage-worker.js';
export type { Job, Worker } from 'bullmq';
export * from './worker-runtime.js';
