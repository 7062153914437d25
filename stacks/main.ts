/** The cdktf app: reads the spec once and builds the stacks. Nothing else happens here. */
import { App } from 'cdktf';
import { specHash } from '../src/config/derived.js';
import { loadSpec, SpecError } from '../src/config/load.js';
import { treeHash } from '../src/util/tree-hash.js';
import { type LAB_PHASES, LabStack } from './lab-stack.js';
import { TestbedStack } from './testbed-stack.js';

// cdktf captures a stack trace for every token it creates; with tsx's source maps on, each capture
// maps every frame, which made synth of 1000 compute hosts 2x slower (bench/synth.ts). Not needed here.
process.setSourceMapsEnabled(false);

let loaded;
try {
  loaded = loadSpec();
} catch (err) {
  if (!(err instanceof SpecError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const root = process.cwd();
const hash = specHash(loaded.spec);
const app = new App();
new TestbedStack(app, 'testbed', {
  spec: loaded.spec,
  specHash: hash,
  configHash: treeHash(root, ['templates', 'playbooks']),
});
/** What each lab phase runs, so that a change to it re-runs the phase. */
const labSources: Record<(typeof LAB_PHASES)[number]['name'], string[]> = {
  preflight: ['src/lab-phases'],
  hosts: ['src/lab', 'src/lab-phases'],
  ceph: ['templates', 'playbooks', 'src/render', 'src/lab-phases'],
  guest: ['guest', 'src/lab', 'src/lab-phases'],
  haproxy: ['templates', 'src/render', 'src/lab-phases'],
  vms: ['src/lab', 'src/lab-phases'],
  policy: ['src/policy', 'src/lab-phases'],
};
new LabStack(app, 'lab', {
  specHash: hash,
  specFile: loaded.file,
  phaseHashes: Object.fromEntries(Object.entries(labSources).map(([phase, dirs]) => [phase, treeHash(root, dirs)])),
});
app.synth();
