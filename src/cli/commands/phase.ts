/** `testbed phase <name>`: one of the cloud stack's post-deploy phases (CLOUD_PHASES). */
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import { parseTfOutputs, RENDER_TARGETS, type RenderTarget } from '../../render/index.js';
import { CLOUD_PHASES } from '../../targets/index.js';
import { UsageError, type Command } from '../command.js';

const PHASE_NAMES = CLOUD_PHASES.map((p) => p.name);

export const phaseCommand: Command = {
  name: ['phase'],
  summary: 'one post-deploy phase: render the configuration, then run playbooks/site.yml with its tags',
  usage: `testbed phase <${PHASE_NAMES.join('|')}> [--target cloud|lab] [--tf-outputs-env VAR] [--check]`,
  async run({ argv, out, err }) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        spec: { type: 'string' },
        target: { type: 'string', default: 'cloud' },
        'tf-outputs-env': { type: 'string' },
        check: { type: 'boolean', default: false },
      },
    });
    const phase = CLOUD_PHASES.find((p) => p.name === positionals[0]);
    if (!phase || positionals.length !== 1)
      throw new UsageError(`phase: got ${JSON.stringify(positionals)}; allowed: one of ${PHASE_NAMES.join(', ')}`);
    const target = values.target as RenderTarget;
    if (!RENDER_TARGETS.includes(target))
      throw new UsageError(`--target: unknown target ${JSON.stringify(values.target)}; allowed: ${RENDER_TARGETS.join(', ')}`);

    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    const envName = values['tf-outputs-env'];
    let tfOutputs;
    if (envName) {
      const text = process.env[envName];
      if (!text)
        throw new UsageError(
          `--tf-outputs-env: the environment variable ${envName} is empty; allowed: the name of a variable holding the testbed_inventory output as JSON`,
        );
      tfOutputs = parseTfOutputs(text, `$${envName}`);
    }
    const started = Date.now();
    await phase.implementation.run({ spec, target, tfOutputs, check: values.check, log: (line) => err(`[phase ${phase.name}] ${line}`) });
    out(`[phase ${phase.name}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
};
