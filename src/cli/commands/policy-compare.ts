/** `testbed policy compare`: the baselines, DVFS and the core's modes on one trace (src/policy/compare.ts). */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import {
  compareChart,
  comparePolicies,
  DEFAULT_BASELINES,
  formatCompare,
  policyFromSpec,
  RAM_MODELS,
  readTraces,
  replaySettingsLine,
  validatePolicy,
} from '../../policy/index.js';
import { UsageError, type Command } from '../command.js';
import { parsePolicyName, parsePrecopy, parseRamModel } from './policy-simulate.js';

export const compareCommand: Command = {
  name: ['policy', 'compare'],
  summary: 'every baseline (THR/IQR/MAD/LR/LRR x MMT/MC/RS), DVFS and the core modes on one trace: table and energy-vs-ESV SVG',
  usage:
    'testbed policy compare --trace DAY [--ram requested|allocated|both] [--precopy textbook|fitted|FILE] [--svg FILE] [--baselines a,b,...] [--seed N] [--json] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        trace: { type: 'string' },
        svg: { type: 'string' },
        baselines: { type: 'string' },
        ram: { type: 'string' },
        precopy: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        spec: { type: 'string' },
      },
    });
    if (!values.trace) throw new UsageError('--trace: missing; allowed: a PlanetLab day directory (e.g. ../shared/traces/planetlab/20110303)');
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed: got ${JSON.stringify(values.seed)}; allowed: an integer`);
    if (values.ram !== undefined && values.ram !== 'both' && !(RAM_MODELS as readonly string[]).includes(values.ram))
      throw new UsageError(`--ram: got ${JSON.stringify(values.ram)}; allowed: ${RAM_MODELS.join(', ')}, both`);
    const ramModels = values.ram === 'both' ? RAM_MODELS : [parseRamModel(values.ram, 'cloudsim')];
    const baselines = values.baselines ? values.baselines.split(',').map((b) => b.trim()) : DEFAULT_BASELINES;
    for (const b of baselines) parsePolicyName('--baselines', b, seed);
    // The testbed rows' migration times, as `policy simulate` takes them (the cloudsim rows take RAM / 62.5 s).
    const precopy = parsePrecopy(values.precopy);
    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    let traces;
    let settings;
    try {
      settings = validatePolicy(policyFromSpec(spec));
      traces = readTraces(values.trace);
    } catch (e) {
      if ((e as { exitCode?: number }).exitCode === 2) throw new UsageError((e as Error).message);
      throw e;
    }
    const rows = comparePolicies(
      traces,
      {
        settings,
        baselines,
        seed,
        ramModels,
        precopy: precopy.model,
        onRow: values.json ? undefined : (r) => err(`  ${r.policy} (${r.accounting}, ${r.ram} RAM): ${r.runtimeMs.toFixed(0)} ms`),
      },
      (b) => parsePolicyName('--baselines', b, seed),
    );
    const svgFile = values.svg ?? 'policy-compare.svg';
    // Loaded here, not at the top: Vega costs every other `testbed` command ~1.4 s of start-up otherwise.
    const { renderSvg } = await import('../../report/index.js');
    writeFileSync(svgFile, await renderSvg(compareChart(rows, `energy vs ESV, ${traces.source}`)));
    const settingsLine = replaySettingsLine(settings, file);
    const precopyLine = `${precopy.summary} (the testbed rows; the cloudsim rows take RAM / 62.5 s, as CloudSim)`;
    if (values.json) {
      const pre = {
        model: precopy.name,
        file: precopy.file ?? null,
        summary: precopy.summary,
        held_out: precopy.calibration?.held_out.overall ?? null,
      };
      out(JSON.stringify({ source: traces.source, settings: settingsLine, precopy: pre, rows, svg: svgFile }, null, 2));
      return;
    }
    out(`${traces.source}: ${traces.vms.length} VMs, 800 hosts (planetlab-800)`);
    out(settingsLine);
    out(precopyLine);
    for (const line of formatCompare(rows)) out(line);
    out(`plot: ${svgFile}`);
  },
};
