/** The cdktf app: reads the spec once and builds the stacks. Nothing else happens here. */
import { App } from 'cdktf';
import { loadSpec, SpecError, specHash } from '../src/config/index.js';
import { treeHash } from '../src/util/index.js';
import { CLOUD_PHASES, LAB_PHASES } from '../src/targets/index.js';
import { LabStack } from './lab-stack.js';
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
  configHash: treeHash(root, [...new Set(CLOUD_PHASES.flatMap((p) => p.sources))]),
});
new LabStack(app, 'lab', {
  specHash: hash,
  specFile: loaded.file,
  phaseHashes: Object.fromEntries(LAB_PHASES.map((p) => [p.name, treeHash(root, p.sources)])),
});
app.synth();
