import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cdktf } from '../../exec/index.js';
import { summarizeSynth } from '../../summary/index.js';
import { UsageError, type Command } from '../command.js';

/** The stacks stacks/main.ts builds; checked again against cdktf.out/manifest.json after the synth. */
export const STACK_NAMES = ['testbed', 'lab'] as const;

export const synthCommand: Command = {
  name: ['synth'],
  summary: 'synthesize the stacks (cdktf synth) and summarize what `cdktf deploy testbed` would create',
  usage: `testbed synth [--stack ${STACK_NAMES.join('|')}]  (reads testbed.yaml, or TESTBED_SPEC)`,
  async run({ argv, out, err }) {
    const { values } = parseArgs({ args: [...argv], options: { stack: { type: 'string', default: 'testbed' } } });
    const stack = values.stack!;
    const unknown = (names: readonly string[]) =>
      new UsageError(`--stack: no stack ${JSON.stringify(stack)}; allowed: ${names.join(', ')} (the stacks of stacks/main.ts)`);
    if (!(STACK_NAMES as readonly string[]).includes(stack)) throw unknown(STACK_NAMES);
    err('synthesizing (cdktf synth)...');
    const started = Date.now();
    await cdktf(['synth'], { inherit: false });
    err(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const file = join('cdktf.out', 'stacks', stack, 'cdk.tf.json');
    if (!existsSync(file)) {
      const manifest = JSON.parse(readFileSync(join('cdktf.out', 'manifest.json'), 'utf8')) as { stacks?: Record<string, unknown> };
      throw unknown(Object.keys(manifest.stacks ?? {}));
    }
    for (const line of summarizeSynth(stack, JSON.parse(readFileSync(file, 'utf8')))) out(line);
    out('');
    out(`Terraform JSON: ${file}`);
  },
};
