/**
 * What the lab tests import: the lab itself (src/lab, shared with the demo and the benchmark)
 * and the tests' own writer of MultiNIC-shaped files.
 */
export * from '../../src/lab/index.js';
export * from './multinic-file.js';
