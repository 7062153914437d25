/**
 * `testbed policy compare`: every baseline, DVFS, and the core's modes on one trace, under CloudSim's
 * accounting (and the core's modes also under the testbed's own accounting), as rows of one table, plus
 * a Vega-Lite chart of energy against ESV.
 */
import type { TopLevelSpec } from 'vega-lite';
import { DETECTORS, SELECTIONS, DEFAULT_PARAMETER } from './baselines.js';
import type { RamModel } from './cloudsim-model.js';
import { simulateCloudSim, type ClusterPolicy } from './cloudsim-sim.js';
import type { PrecopyModel } from './precopy.js';
import type { PolicyMode, PolicySettings } from './settings.js';
import { simulatePlanetLab } from './simulate.js';
import type { TraceSet } from './traces.js';

export interface CompareRow {
  readonly policy: string;
  readonly accounting: 'cloudsim' | 'testbed';
  /** RAM against capacity: CloudSim's requested RAM (0 MB on a target) or the full allocation. */
  readonly ram: RamModel;
  readonly energyKWh: number;
  readonly migrations: number;
  readonly refused: number;
  readonly slatah: number;
  readonly pdm: number;
  readonly slav: number;
  readonly esv: number;
  readonly runtimeMs: number;
}

export interface CompareOptions {
  readonly settings: PolicySettings;
  /** @default every detector × MMT, and IQR/LR × MC and RS */
  readonly baselines?: readonly string[];
  /** RS seed. @default 1 */
  readonly seed?: number;
  readonly modes?: readonly PolicyMode[];
  /** RAM models the cloudsim rows are run with (the testbed accounting is always `allocated`). @default ['requested'] */
  readonly ramModels?: readonly RamModel[];
  /** The pre-copy model of the testbed rows' migration times (the cloudsim rows take RAM / 62.5 s). @default the textbook model */
  readonly precopy?: PrecopyModel;
  readonly onRow?: (r: CompareRow) => void;
}

export const DEFAULT_BASELINES: readonly string[] = [
  ...DETECTORS.map((d) => `${d}-mmt-${DEFAULT_PARAMETER[d]}`),
  ...SELECTIONS.filter((s) => s !== 'mmt').flatMap((s) => [`thr-${s}-0.8`, `iqr-${s}-1.5`, `lr-ols-${s}-1.2`]),
];

const REPLAY_SAMPLE_S = 300;

/**
 * The settings the core's modes run with in a replay (`simulate`, either accounting, and `compare`): one decision
 * per 300 s sample, no per-host limit (CloudSim has none).
 */
export function replaySettings(s: PolicySettings, mode: PolicyMode): PolicySettings {
  return { ...s, mode, samplePeriodS: REPLAY_SAMPLE_S, staleAfterS: 3 * REPLAY_SAMPLE_S, maxConcurrentPerHost: 0 };
}
/** One line for a replay's header: the settings the core's modes ran with, and what `replaySettings()` changed. */
export function replaySettingsLine(live: PolicySettings, specFile: string): string {
  return (
    `settings: policy from ${specFile} (low ${live.low}, high ${live.high}, hysteresis ${live.hysteresisPct} points, cooldown ${live.cooldownS} s, ` +
    `max_migrations_per_cycle ${live.maxMigrationsPerCycle}); replayed with one decision per ${REPLAY_SAMPLE_S} s sample and no per-host limit ` +
    `(replaySettings()), not sample_period_s ${live.samplePeriodS} and live_migration.max_concurrent ${live.maxConcurrentPerHost}`
  );
}

export function comparePolicies(traces: TraceSet, o: CompareOptions, parse: (name: string) => ClusterPolicy): CompareRow[] {
  const rows: CompareRow[] = [];
  const push = (r: CompareRow): void => {
    rows.push(r);
    o.onRow?.(r);
  };
  const cs = (name: string, policy: ClusterPolicy, ramModel: RamModel): void => {
    const t0 = performance.now();
    const r = simulateCloudSim(traces, { policy, ramModel });
    push({ policy: name, accounting: 'cloudsim', ram: ramModel, ...pick(r), refused: r.refused, runtimeMs: performance.now() - t0 });
  };
  const modes = o.modes ?? (['paper', 'safe', 'consolidate'] as const);
  for (const ramModel of o.ramModels ?? ['requested']) {
    cs('dvfs', { kind: 'dvfs' }, ramModel);
    for (const b of o.baselines ?? DEFAULT_BASELINES) cs(b, parse(b), ramModel);
    for (const mode of modes) cs(mode, { kind: 'core', settings: replaySettings(o.settings, mode) }, ramModel);
  }
  for (const mode of modes) {
    const t0 = performance.now();
    const r = simulatePlanetLab(traces, { settings: replaySettings(o.settings, mode), keepSeries: false, precopy: o.precopy });
    push({ policy: mode, accounting: 'testbed', ram: 'allocated', ...pick(r), refused: r.refused, runtimeMs: performance.now() - t0 });
  }
  return rows;
}

function pick(r: { energyKWh: number; migrations: number; slatah: number; pdm: number; slav: number; esv: number }) {
  return { energyKWh: r.energyKWh, migrations: r.migrations, slatah: r.slatah, pdm: r.pdm, slav: r.slav, esv: r.esv };
}

export function formatCompare(rows: readonly CompareRow[]): string[] {
  const head = ['policy', 'accounting', 'RAM', 'energy kWh', 'migrations', 'refused', 'SLATAH %', 'PDM %', 'SLAV x1e-5', 'ESV x1e-3', 'ms'];
  const body = rows.map((r) => [
    r.policy,
    r.accounting,
    r.ram,
    r.energyKWh.toFixed(2),
    String(r.migrations),
    String(r.refused),
    (r.slatah * 100).toFixed(3),
    (r.pdm * 100).toFixed(4),
    (r.slav * 1e5).toFixed(3),
    (r.esv * 1e3).toFixed(3),
    r.runtimeMs.toFixed(0),
  ]);
  const all = [head, ...body];
  const w = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  '));
}

/** Energy (x) against ESV (y), one point per policy and accounting. */
export function compareChart(rows: readonly CompareRow[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 560,
    height: 360,
    data: { values: rows.map((r) => ({ policy: r.policy, accounting: `${r.accounting}, ${r.ram} RAM`, energy: r.energyKWh, esv: r.esv * 1e3 })) },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'energy', type: 'quantitative', title: 'energy (kWh)', scale: { zero: false } },
          y: { field: 'esv', type: 'quantitative', title: 'ESV (x 1e-3)' },
          color: { field: 'accounting', type: 'nominal' },
          shape: { field: 'accounting', type: 'nominal' },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 6, dy: -4, fontSize: 9 },
        encoding: { x: { field: 'energy', type: 'quantitative' }, y: { field: 'esv', type: 'quantitative' }, text: { field: 'policy' } },
      },
    ],
  } as TopLevelSpec;
}
