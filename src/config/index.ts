/** The testbed spec: its schema, loading and validation (exit 2 on a bad spec), and what is derived from it (topologies, ports, hashes). The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './cidr.js';
export * from './derived.js';
export * from './lab-topology.js';
export * from './load.js';
export * from './rules.js';
export * from './schema.js';
export * from './service-ports.js';
export * from './topology.js';
