/** `testbed synth`'s summary of the synthesized stacks. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './synth-summary.js';
