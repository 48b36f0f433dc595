export * from './run-events.js';
