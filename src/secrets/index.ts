/** The testbed's generated secrets (passwords, cephx keys) and the file that keeps them. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './cephx-key.js';
export * from './secrets.js';
export * from './store.js';
