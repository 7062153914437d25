/** Small helpers with no project dependencies. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './seeded-random.js';
export * from './tree-hash.js';
