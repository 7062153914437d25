/** The cdktf constructs the stacks are built from (the OpenStack provider's bindings come from .gen/). The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './bindings.js';
export * from './node-flavors.js';
export * from './osd-volumes.js';
export * from './post-deploy-phase.js';
export * from './security-groups.js';
export * from './testbed-network.js';
export * from './testbed-node.js';
