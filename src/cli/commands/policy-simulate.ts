/** `testbed policy simulate`: replays a trace through the policy core (src/policy/simulate.ts). */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/load.js';
import { policyFromSpec, validatePolicy, type PolicyMode } from '../../policy/settings.js';
import { activeHostsSvg, SCENARIOS, simulatePlanetLab } from '../../policy/simulate.js';
import { readTraces } from '../../policy/traces.js';
import { UsageError, type Command } from '../command.js';

export const simulateCommand: Command = {
  name: ['policy', 'simulate'],
  summary: 'replay a CPU trace (PlanetLab, CSV, JSON) through the policy; energy, SLATAH, PDM, SLAV, ESV',
  usage:
    'testbed policy simulate --trace DIR|FILE [--mode paper|safe] [--hosts N] [--scenario planetlab-800] [--dirty-ratio R] [--svg FILE] [--json] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        trace: { type: 'string' },
        mode: { type: 'string' },
        hosts: { type: 'string' },
        scenario: { type: 'string' },
        'dirty-ratio': { type: 'string' },
        svg: { type: 'string' },
        json: { type: 'boolean' },
        spec: { type: 'string' },
      },
    });
    if (!values.trace)
      throw new UsageError(
        '--trace: missing; allowed: a PlanetLab day directory (e.g. ../shared/traces/planetlab/20110303), a .csv or a .json trace',
      );
    const scenario = values.scenario ?? 'planetlab-800';
    if (!(SCENARIOS as readonly string[]).includes(scenario))
      throw new UsageError(`--scenario: got ${JSON.stringify(scenario)}; allowed: ${SCENARIOS.join(', ')}`);
    const mode = values.mode;
    if (mode !== undefined && mode !== 'paper' && mode !== 'safe')
      throw new UsageError(`--mode: got ${JSON.stringify(mode)}; allowed: paper or safe`);
    const hosts = values.hosts === undefined ? 800 : Number(values.hosts);
    if (!Number.isInteger(hosts) || hosts < 1) throw new UsageError(`--hosts: got ${JSON.stringify(values.hosts)}; allowed: an integer >= 1`);
    const dirtyRatio = values['dirty-ratio'] === undefined ? 0.1 : Number(values['dirty-ratio']);
    if (!Number.isFinite(dirtyRatio) || dirtyRatio < 0 || dirtyRatio >= 1)
      throw new UsageError(`--dirty-ratio: got ${JSON.stringify(values['dirty-ratio'])}; allowed: 0 <= R < 1 (dirty rate / migration bandwidth)`);

    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    let traces;
    let settings;
    try {
      settings = validatePolicy(policyFromSpec(spec, mode ? { mode: mode as PolicyMode } : {}));
      traces = readTraces(values.trace);
    } catch (e) {
      if ((e as { exitCode?: number }).exitCode === 2) throw new UsageError((e as Error).message);
      throw e;
    }
    const t0 = performance.now();
    const r = simulatePlanetLab(traces, { settings, hosts, dirtyRatio });
    const ms = performance.now() - t0;
    if (values.svg) writeFileSync(values.svg, activeHostsSvg(r, traces.stepS));
    if (values.json) {
      out(JSON.stringify({ ...r, source: traces.source, dirtyRatio, runtimeMs: Math.round(ms) }, null, 2));
      return;
    }
    const peak = Math.max(...r.activeHosts);
    const mean = r.activeHosts.reduce((a, x) => a + x, 0) / Math.max(1, r.activeHosts.length);
    const hourly = r.activeHosts.filter((_, i) => i % 12 === 0);
    out(
      `scenario ${r.scenario}, ${r.mode} mode: ${r.vms} VMs (${r.unplaced} unplaced) on ${r.hosts} hosts, ${r.steps} steps of ${traces.stepS} s, from ${traces.source}`,
    );
    out(
      `migrations:        ${r.migrations} (total ${r.totalMigrationS.toFixed(1)} s, mean ${r.meanMigrationS.toFixed(2)} s; dirty ratio ${dirtyRatio})`,
    );
    out(`hosts active:      mean ${mean.toFixed(1)}, peak ${peak}, last ${r.activeHosts.at(-1)}; hourly: ${hourly.join(' ')}`);
    out(`CREATE requests:   ${r.creates} (counted, not applied in a replay); TERM: ${r.terms}`);
    out(`energy:            ${r.energyKWh.toFixed(2)} kWh`);
    out(`SLATAH:            ${(r.slatah * 100).toFixed(4)} %`);
    out(`PDM:               ${(r.pdm * 100).toFixed(4)} %`);
    out(`SLAV:              ${r.slav.toExponential(5)}`);
    out(`ESV:               ${r.esv.toExponential(5)}`);
    if (values.svg) out(`plot:              ${values.svg}`);
    out(`(${ms.toFixed(0)} ms; departures from CloudSim's model are listed in docs/policy.md)`);
  },
};
