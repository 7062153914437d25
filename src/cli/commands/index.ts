/** Every `testbed` subcommand, in the order `testbed help` lists them. Add new ones here. */
import type { Command } from '../command.js';
import { planCommand } from './plan.js';
import { validateCommand } from './validate.js';

export const commands: readonly Command[] = [validateCommand, planCommand];
