/** `testbed lab <phase> up|down`: the lab phases that the LabStack runs, one command per entry of LAB_PHASES. */
import { parseArgs } from 'node:util';
import { loadSpec } from '../../config/index.js';
import { LAB_PHASES, type LabPhaseEntry } from '../../targets/index.js';
import { UsageError, type Command } from '../command.js';

function phaseCommand(phase: LabPhaseEntry): Command {
  return {
    name: ['lab', phase.name],
    summary: `lab phase: ${phase.description}`,
    usage: `testbed lab ${phase.name} up|down [--spec FILE]`,
    async run({ argv, out, err }) {
      const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { spec: { type: 'string' } } });
      const [action] = positionals;
      if (positionals.length !== 1 || (action !== 'up' && action !== 'down'))
        throw new UsageError(`lab ${phase.name}: got ${JSON.stringify(positionals)}; allowed: up or down`);
      const { spec, file } = loadSpec(values.spec);
      const started = Date.now();
      err(`[lab ${phase.name} ${action}] ${phase.description}`);
      // A LabPhaseError is printed by main (exit 1; a PreflightError exits 2).
      await phase.implementation[action]({ spec, specFile: file, log: (line) => err(`[lab ${phase.name}] ${line}`) });
      out(`[lab ${phase.name} ${action}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  };
}

export const labPhaseCommands: readonly Command[] = LAB_PHASES.map(phaseCommand);
