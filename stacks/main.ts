/** The cdktf app: reads the spec once and builds the stacks. Nothing else happens here. */
import { App } from 'cdktf';
import { specHash } from '../src/config/derived.js';
import { loadSpec, SpecError } from '../src/config/load.js';
import { treeHash } from '../src/util/tree-hash.js';
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
const app = new App();
new TestbedStack(app, 'testbed', {
  spec: loaded.spec,
  specHash: specHash(loaded.spec),
  configHash: treeHash(process.cwd(), ['templates', 'playbooks']),
});
app.synth();
