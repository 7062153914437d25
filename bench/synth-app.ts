/**
 * One synth, as a whole process, for bench/synth.ts: `tsx bench/synth-app.ts <bare|default|N> <outdir>`.
 * Prints `{"maxRssKb": ...}` on stdout when done.
 */
import { App, DataResource, TerraformStack } from 'cdktf';

const [which = 'default', outdir = 'cdktf.out.bench'] = process.argv.slice(2);
const app = new App({ outdir });
if (which === 'bare') {
  const stack = new TerraformStack(app, 'bare');
  new DataResource(stack, 'one', { input: { hello: 'world' } });
} else {
  process.setSourceMapsEnabled(false); // as stacks/main.ts does
  const { validateSpec } = await import('../src/config/index.js');
  const { TestbedStack } = await import('../stacks/index.js');
  const computes = which === 'default' ? undefined : Number(which);
  const input = computes
    ? {
        network: { cidr: '10.16.0.0/16', cluster_cidr: '10.17.0.0/24' },
        compute_hosts: Array.from({ length: computes }, (_, i) => ({ name: `compute-${i + 1}` })),
      }
    : {};
  const { spec } = validateSpec(input);
  new TestbedStack(app, 'testbed', { spec, specHash: 'bench', configHash: 'bench' });
}
app.synth();
console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
