import { parseArgs } from 'node:util';
import { execaRunner } from '../../exec/index.js';
import { ResultsError } from '../../experiments/index.js';
import { UsageError, type Command } from '../command.js';

export const reportCommand: Command = {
  name: ['report'],
  summary: 'write report.md and a self-contained report.html (tables, figures, bounds, conditions) from experiment runs',
  usage: 'testbed report RUN_DIR [RUN_DIR...] [--out DIR] [--no-png]',
  async run({ argv, out }) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { out: { type: 'string' }, 'no-png': { type: 'boolean' } },
    });
    if (positionals.length === 0)
      throw new UsageError('testbed report: no run given; allowed: one or more results folders, e.g. results/2026-05-03T09-34-57Z-ab12');
    try {
      // Loaded here, not at the top: Vega takes about 1.4 s to load, and every other command would pay it.
      const { writeReport } = await import('../../report/index.js');
      const r = await writeReport({ runs: positionals, outDir: values.out, runner: values['no-png'] ? undefined : execaRunner });
      out(`report: ${r.html}`);
      out(`        ${r.markdown}`);
      out(`figures: ${r.svgs.length} SVG${r.pngs.length ? `, ${r.pngs.length} PNG` : ' (no PNG: rsvg-convert missing or --no-png)'}`);
    } catch (err) {
      if (err instanceof ResultsError) throw new UsageError(err.message);
      throw err;
    }
  },
};
