/** `testbed policy calibrate`: fits the pre-copy model to a results folder's migrations (src/policy/precopy-calibration.ts). */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import { readRun } from '../../experiments/index.js';
import { calibrate, calibrationJson, labFactsFromSpec, type ErrorSummary } from '../../policy/index.js';
import { UsageError, type Command } from '../command.js';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** One table row: median / max of each figure. */
function errorRow(label: string, s: ErrorSummary): string {
  const cell = (e: { median: number; max: number }) => `${pct(e.median)} / ${pct(e.max)}`.padEnd(18);
  return `${label.padEnd(10)} ${String(s.n).padStart(4)}  ${cell(s.timeMs)} ${cell(s.bytes)} ${cell(s.iterations)}`.trimEnd();
}

export const calibrateCommand: Command = {
  name: ['policy', 'calibrate'],
  summary: "fit the simulator's pre-copy model to a results folder's migrations; held-out errors; writes a calibration file",
  usage: 'testbed policy calibrate --results DIR [--out FILE] [--folds K] [--json] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        results: { type: 'string' },
        out: { type: 'string' },
        folds: { type: 'string' },
        json: { type: 'boolean' },
        spec: { type: 'string' },
      },
    });
    if (!values.results) throw new UsageError('--results: missing; allowed: a run folder made by `testbed experiment run` (results/<run-id>/)');
    let folds: number | undefined;
    if (values.folds !== undefined) {
      folds = Number(values.folds);
      if (!Number.isInteger(folds) || folds < 2) throw new UsageError(`--folds: got ${JSON.stringify(values.folds)}; allowed: an integer >= 2`);
    }
    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    const { results, conditions } = readRun(values.results);
    const c = calibrate(values.results, results, conditions, labFactsFromSpec(spec), folds).file;
    const json = calibrationJson(c);
    if (values.out) writeFileSync(values.out, json);
    if (values.json) {
      out(json.trimEnd());
      return;
    }
    const p = c.params;
    out(
      `pre-copy calibration: ${c.source.rows} migrations of ${c.source.run_ids.join(', ')} (${c.source.skipped.length} skipped), from ${c.source.results}`,
    );
    for (const s of c.source.skipped) out(`  skipped ${s.migration}: ${s.reason}`);
    out(
      `parameters: link efficiency ${p.linkEfficiency}, setup ${p.setupMs} ms, page overhead ${p.pageOverheadBytes} B, zero page ${p.zeroPageBytes} B / ${p.zeroPageUs} µs, fixed ${p.fixedBytes} B, extra syncs ${p.extraSyncs}; guest resident ${c.guest_resident_mib} MiB`,
    );
    out(`error |predicted ÷ measured − 1|, median / max; held out: ${c.held_out.method}, ${c.held_out.folds} folds`);
    out(`${'load'.padEnd(10)} ${'rows'.padStart(4)}  ${'time'.padEnd(18)} ${'bytes'.padEnd(18)} iterations`);
    for (const [load, s] of Object.entries(c.held_out.by_load)) out(errorRow(load, s));
    out(errorRow('all', c.held_out.overall));
    out(errorRow('in-sample', c.in_sample));
    out(errorRow('textbook', c.textbook));
    if (values.out) out(`written: ${values.out}`);
  },
};
