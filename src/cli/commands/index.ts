/** Every `testbed` subcommand, in the order `testbed help` lists them. Add new ones here, one line each. */
import type { Command } from '../command.js';
import { labPhaseCommands } from './lab-phase.js';
import { labCommands } from './lab.js';
import { phaseCommand } from './phase.js';
import { policyStatusCommand } from './policy-status.js';
import { startCommand } from './start.js';
import { synthCommand } from './synth.js';
import { validateCommand } from './validate.js';
import { renderCommand } from './render.js';
import { reportCommand } from './report.js';
import { policyCommands } from './policy.js';
import { experimentRunCommand } from './experiment-run.js';
import { experimentProbeCommand } from './experiment-probe.js';

export const commands: readonly Command[] = [
  validateCommand,
  synthCommand,
  startCommand,
  phaseCommand,
  policyStatusCommand,
  ...labPhaseCommands,
  ...labCommands,
  renderCommand,
  experimentRunCommand,
  experimentProbeCommand,
  reportCommand,
  ...policyCommands,
];
