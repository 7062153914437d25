import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cdktf } from '../../exec/cdktf.js';
import { summarizeSynth } from '../../summary/synth-summary.js';
import type { Command } from '../command.js';

export const synthCommand: Command = {
  name: ['synth'],
  summary: 'synthesize the stacks (cdktf synth) and summarize what `cdktf deploy testbed` would create',
  usage: 'testbed synth [--stack NAME]  (reads testbed.yaml, or TESTBED_SPEC)',
  async run({ argv, out, err }) {
    const { values } = parseArgs({ args: [...argv], options: { stack: { type: 'string', default: 'testbed' } } });
    err('synthesizing (cdktf synth)...');
    const started = Date.now();
    await cdktf(['synth'], { inherit: false });
    err(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const file = join('cdktf.out', 'stacks', values.stack!, 'cdk.tf.json');
    for (const line of summarizeSynth(values.stack!, JSON.parse(readFileSync(file, 'utf8')))) out(line);
    out('');
    out(`Terraform JSON: ${file}`);
  },
};
