/** The cdktf stacks (the app itself is ./main.ts). The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './lab-stack.js';
export * from './testbed-stack.js';
