import type { Command } from '../command.js';
import { synthCommand } from './synth.js';

/** `npm start`: the README's main command. */
export const startCommand: Command = {
  name: ['start'],
  summary: "the README's main command: synthesize the study's testbed and summarize it",
  usage: 'testbed start',
  async run(ctx) {
    return synthCommand.run({ ...ctx, argv: [] });
  },
};
