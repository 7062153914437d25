/** `testbed policy simulate`: replays a trace through the policy core (src/policy/simulate.ts). */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import {
  activeHostsSvg,
  choosePrecopy,
  parseBaseline,
  POLICY_MODES,
  policyFromSpec,
  RAM_MODELS,
  readTraces,
  replaySettings,
  replaySettingsLine,
  SCENARIOS,
  simulateCloudSim,
  simulatePlanetLab,
  validatePolicy,
  type ClusterPolicy,
  type PolicyMode,
  type ChosenPrecopy,
  type PolicySettings,
  type RamModel,
} from '../../policy/index.js';
import { UsageError, type Command } from '../command.js';

export const ACCOUNTINGS = ['testbed', 'cloudsim'] as const;

/** `--policy` value → the simulator's policy; a UsageError naming the flag, the value and what is allowed. */
export function parsePolicyName(flag: string, name: string, seed: number, settings?: PolicySettings): ClusterPolicy {
  if (name === 'dvfs') return { kind: 'dvfs' };
  const b = parseBaseline(name, seed);
  if (b) return { kind: 'baseline', spec: b };
  if (settings && (POLICY_MODES as readonly string[]).includes(name)) return { kind: 'core', settings: replaySettings(settings, name as PolicyMode) };
  throw new UsageError(
    `${flag}: got ${JSON.stringify(name)}; allowed: dvfs, DETECTOR-SELECTION[-PARAM] with DETECTOR thr|iqr|mad|lr|lrr|lr-ols and SELECTION mmt|mc|rs (e.g. iqr-mmt-1.5)${settings ? `, or a core mode (${POLICY_MODES.join(', ')})` : ''}`,
  );
}

/** `--ram`: the RAM model of the cloudsim accounting (the testbed accounting always reserves the full RAM). */
export function parseRamModel(value: string | undefined, accounting: string): RamModel {
  if (value === undefined) return 'requested';
  if (!(RAM_MODELS as readonly string[]).includes(value))
    throw new UsageError(`--ram: got ${JSON.stringify(value)}; allowed: ${RAM_MODELS.join(', ')}`);
  if (accounting !== 'cloudsim')
    throw new UsageError(
      `--ram: got ${JSON.stringify(value)} with --accounting ${accounting}; allowed: only with --accounting cloudsim (the testbed accounting reserves the full RAM)`,
    );
  return value as RamModel;
}

/** `--dirty-ratio`: the pre-copy model's dirty rate / bandwidth; the cloudsim accounting has no pre-copy model (RAM / 62.5 s). */
export function parseDirtyRatio(value: string | undefined, accounting: string): number {
  if (value === undefined) return 0.1;
  if (accounting !== 'testbed')
    throw new UsageError(
      `--dirty-ratio: got ${JSON.stringify(value)} with --accounting ${accounting}; allowed: only with --accounting testbed (cloudsim's migration time is RAM / 62.5 s, with no dirty rate)`,
    );
  const r = Number(value);
  if (value.trim() === '' || !Number.isFinite(r) || r < 0 || r >= 1)
    throw new UsageError(`--dirty-ratio: got ${JSON.stringify(value)}; allowed: 0 <= R < 1 (dirty rate / migration bandwidth)`);
  return r;
}

/** `--precopy` for the testbed accounting: the chosen model, or a UsageError naming the flag and what is allowed. */
export function parsePrecopy(value: string | undefined): ChosenPrecopy {
  try {
    return choosePrecopy(value);
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode === 2)
      throw new UsageError(`--precopy: ${(e as Error).message}; allowed: textbook, fitted, or a calibration file`);
    throw e;
  }
}

export const simulateCommand: Command = {
  name: ['policy', 'simulate'],
  summary: 'replay a CPU trace (PlanetLab, CSV, JSON) through the policy; energy, SLATAH, PDM, SLAV, ESV',
  usage:
    'testbed policy simulate --trace DIR|FILE [--accounting testbed|cloudsim] [--ram requested|allocated] [--policy dvfs|iqr-mmt-1.5|...] [--seed N] [--mode consolidate|safe|paper] [--hosts N] [--scenario planetlab-800] [--dirty-ratio R] [--precopy textbook|fitted|FILE] [--svg FILE] [--json] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        trace: { type: 'string' },
        mode: { type: 'string' },
        accounting: { type: 'string' },
        ram: { type: 'string' },
        policy: { type: 'string' },
        seed: { type: 'string' },
        hosts: { type: 'string' },
        scenario: { type: 'string' },
        'dirty-ratio': { type: 'string' },
        precopy: { type: 'string' },
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
    if (mode !== undefined && !(POLICY_MODES as readonly string[]).includes(mode))
      throw new UsageError(`--mode: got ${JSON.stringify(mode)}; allowed: ${POLICY_MODES.join(', ')}`);
    const accounting = values.accounting ?? 'testbed';
    if (!(ACCOUNTINGS as readonly string[]).includes(accounting))
      throw new UsageError(`--accounting: got ${JSON.stringify(accounting)}; allowed: ${ACCOUNTINGS.join(', ')}`);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed: got ${JSON.stringify(values.seed)}; allowed: an integer`);
    const ramModel = parseRamModel(values.ram, accounting);
    if (values.policy !== undefined && accounting !== 'cloudsim')
      throw new UsageError(
        `--policy: got ${JSON.stringify(values.policy)} with --accounting ${accounting}; allowed: only with --accounting cloudsim`,
      );
    const hosts = values.hosts === undefined ? 800 : Number(values.hosts);
    if (!Number.isInteger(hosts) || hosts < 1) throw new UsageError(`--hosts: got ${JSON.stringify(values.hosts)}; allowed: an integer >= 1`);
    const dirtyRatio = parseDirtyRatio(values['dirty-ratio'], accounting);

    if (values.precopy !== undefined && accounting !== 'testbed')
      throw new UsageError(
        `--precopy: got ${JSON.stringify(values.precopy)} with --accounting ${accounting}; allowed: only with --accounting testbed (cloudsim's migration time is RAM / 62.5 s)`,
      );
    const precopy = accounting === 'testbed' ? parsePrecopy(values.precopy) : undefined;

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
    if (accounting === 'cloudsim') {
      const policy = parsePolicyName('--policy', values.policy ?? settings.mode, seed, settings);
      const t1 = performance.now();
      const c = simulateCloudSim(traces, { policy, hosts, audit: values.json === true, ramModel });
      const ms1 = performance.now() - t1;
      if (values.json) {
        out(JSON.stringify({ ...c, source: traces.source, runtimeMs: Math.round(ms1) }, null, 2));
        return;
      }
      out(
        `scenario planetlab-800, accounting cloudsim (CloudSim 4.0's power examples), policy ${c.policy}, ${c.ramModel} RAM: ${c.vms} VMs (${c.unplaced} unplaced) on ${c.hosts} hosts, from ${traces.source}`,
      );
      if (policy.kind === 'core') out(replaySettingsLine(settings, file));
      out("pre-copy model: none (the cloudsim accounting's migration time is RAM / 62.5 s, as CloudSim's)");
      out(`migrations:        ${c.migrations}; refused: ${c.refused} ${JSON.stringify(c.refusedReasons)}`);
      if (policy.kind === 'core') out(`CREATE requests:   ${c.creates} (counted, not applied in a replay)`);
      out(`VMs removed:       ${c.removedVms} (demand exactly 0 at an update: CloudSim's quirk, replicated)`);
      out(`energy:            ${c.energyKWh.toFixed(2)} kWh`);
      out(`SLATAH:            ${(c.slatah * 100).toFixed(4)} %`);
      out(`PDM:               ${(c.pdm * 100).toFixed(4)} %`);
      out(`SLAV:              ${c.slav.toExponential(5)}`);
      out(`ESV:               ${c.esv.toExponential(5)}`);
      out(`(${ms1.toFixed(0)} ms)`);
      return;
    }
    const t0 = performance.now();
    // The same replay settings as the cloudsim accounting and `policy compare` (one decision per 300 s sample, no
    // per-host limit), not the live job's.
    const replayed = replaySettings(settings, settings.mode);
    const r = simulatePlanetLab(traces, { settings: replayed, hosts, dirtyRatio, precopy: precopy!.model });
    const ms = performance.now() - t0;
    if (values.svg) writeFileSync(values.svg, activeHostsSvg(r, traces.stepS));
    if (values.json) {
      const pre = {
        model: precopy!.name,
        file: precopy!.file ?? null,
        summary: precopy!.summary,
        held_out: precopy!.calibration?.held_out.overall ?? null,
      };
      out(JSON.stringify({ ...r, source: traces.source, settings: replayed, dirtyRatio, precopy: pre, runtimeMs: Math.round(ms) }, null, 2));
      return;
    }
    const peak = Math.max(...r.activeHosts);
    const mean = r.activeHosts.reduce((a, x) => a + x, 0) / Math.max(1, r.activeHosts.length);
    const hourly = r.activeHosts.filter((_, i) => i % 12 === 0);
    out(
      `scenario ${r.scenario}, ${r.mode} mode: ${r.vms} VMs (${r.unplaced} unplaced) on ${r.hosts} hosts, ${r.steps} steps of ${traces.stepS} s, from ${traces.source}`,
    );
    out(replaySettingsLine(settings, file));
    out(precopy!.summary);
    out(
      `migrations:        ${r.migrations} (total ${r.totalMigrationS.toFixed(1)} s, mean ${r.meanMigrationS.toFixed(2)} s; dirty ratio ${dirtyRatio})`,
    );
    out(`hosts active:      mean ${mean.toFixed(1)}, peak ${peak}, last ${r.activeHosts.at(-1)}; hourly: ${hourly.join(' ')}`);
    out(`refused moves:     ${r.refused} ${JSON.stringify(r.refusedReasons)}`);
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
