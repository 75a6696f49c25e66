// Moved to src/sandbox so the bench can share it without importing test helpers.
export * from '../../src/sandbox/test-database.js';
