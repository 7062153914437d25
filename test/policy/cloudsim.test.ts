import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseBaseline } from '../../src/policy/baselines.js';
import { simulateCloudSim, type CloudSimResult } from '../../src/policy/cloudsim-sim.js';
import { replaySettings } from '../../src/policy/compare.js';
import { readTraces } from '../../src/policy/traces.js';
import { settings } from './fixtures.js';

/** The sample day, read in place (never copied into the repo); TESTBED_PLANETLAB_DIR overrides. */
const PLANETLAB = process.env.TESTBED_PLANETLAB_DIR ?? resolve('../shared/traces/planetlab/20110303');
const havePlanetLab = existsSync(PLANETLAB);
if (!havePlanetLab) console.warn(`SKIPPED CloudSim accounting tests: ${PLANETLAB} is absent`);

const within = (got: number, want: number, tol: number): void => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(tol);

describe.skipIf(!havePlanetLab)('--accounting cloudsim on 20110303 (CloudSim 4.0 power examples, issue 12)', () => {
  const traces = havePlanetLab ? readTraces(PLANETLAB) : { source: '', stepS: 300, vms: [] };

  it('DVFS (no migrations) uses 802.75 kWh within 1 %', () => {
    const r = simulateCloudSim(traces, { policy: { kind: 'dvfs' } });
    within(r.energyKWh, 802.75, 0.01);
    expect(r.migrations).toBe(0);
    expect(r.removedVms).toBeGreaterThan(0); // the zero-demand quirk is replicated
  });

  it.each([
    ['thr-mmt-0.8', 192.62, 26_711, 3.176e-5],
    ['iqr-mmt-1.5', 189.98, 26_282, 3.007e-5],
  ])('%s matches CloudSim within 3 % on energy, migrations and SLAV', (name, kWh, migrations, slav) => {
    const r = simulateCloudSim(traces, { policy: { kind: 'baseline', spec: parseBaseline(name)! } });
    within(r.energyKWh, kWh, 0.03);
    within(r.migrations, migrations, 0.03);
    within(r.slav, slav, 0.03);
    expect(r.esv).toBeCloseTo(r.energyKWh * r.slav, 12);
  });

  /** Checks every safeguard from the audit output alone. */
  function checkSafeguards(r: CloudSimResult, cpuMax: number, ramMax: number, cooldownS: number): void {
    const lastMove = new Map<string, number>();
    let moves = 0;
    for (const step of r.audit!) {
      const moved = new Set<string>();
      for (const m of step.migrations) {
        moves += 1;
        // no target above high (CPU) and RAM within the mode's limit, after the move
        expect(m.targetCpuPct).toBeLessThanOrEqual(cpuMax + 0.05);
        expect(m.targetRamPct).toBeLessThanOrEqual(ramMax + 0.05);
        expect(m.reason).not.toBe('');
        // a VM moves at most once per step, and not again within its cooldown
        expect(moved.has(m.vm)).toBe(false);
        moved.add(m.vm);
        const before = lastMove.get(m.vm);
        if (before !== undefined) expect(step.t - before).toBeGreaterThanOrEqual(cooldownS - 1e-6);
        lastMove.set(m.vm, step.t);
        // the source is not also a target in the same step
        expect(step.migrations.some((x) => x.to === m.from)).toBe(false);
      }
      for (const x of step.refused) expect(x.reason).toMatch(/\S/);
    }
    expect(moves).toBe(r.migrations);
  }

  it('safe mode keeps its promises, as its --json audit shows', () => {
    const s = replaySettings(settings(), 'safe');
    const r = simulateCloudSim(traces, { policy: { kind: 'core', settings: s }, audit: true });
    expect(r.migrations).toBeGreaterThan(0);
    checkSafeguards(r, s.high, s.high, s.cooldownS);
  });

  it('consolidate mode keeps the same promises (RAM against capacity), as its --json audit shows', () => {
    const s = replaySettings(settings(), 'consolidate');
    const r = simulateCloudSim(traces, { policy: { kind: 'core', settings: s }, audit: true });
    expect(r.migrations).toBeGreaterThan(0);
    checkSafeguards(r, s.high, 100, s.cooldownS);
  });
});
