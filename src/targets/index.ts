/**
 * The targets, a lab on this machine and a deployed cloud: for each, the one context module that
 * builds what the other folders need and the one registry of its phases; and the hooks that pick
 * the experiment executor and the policy job's drivers by target. The folder's face: other folders
 * import it from here only (docs/architecture.md). The executors are not re-exported: `createExecutor`
 * loads the one a run needs.
 */
export * from './cloud/context.js';
export * from './cloud/phases.js';
export * from './cloud/registry.js';
export * from './drivers.js';
export * from './executors.js';
export * from './lab/context.js';
export * from './lab/phases/phase.js';
export * from './lab/registry.js';
