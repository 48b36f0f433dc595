export * from './lake-type.js';
