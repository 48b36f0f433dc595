export * from './lake-query.js';
