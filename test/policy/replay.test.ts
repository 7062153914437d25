/** What both replays (`simulate`'s testbed and cloudsim accountings, and `compare`) owe the job's memory: cooldowns. */
import { simulateCloudSim } from '../../src/policy/cloudsim-sim.js';
import { replaySettings } from '../../src/policy/compare.js';
import { simulatePlanetLab } from '../../src/policy/simulate.js';
import type { TraceSet } from '../../src/policy/traces.js';
import { settings } from './fixtures.js';

/** One VM at `cpu` % for `steps` samples of 300 s. */
const oneVm = (cpu: number, steps: number): TraceSet => ({
  source: 'test',
  stepS: 300,
  vms: [{ id: 'hot', cpu: Array.from({ length: steps }, () => cpu) }],
});

describe('a replay puts a VM in cooldown after its CREATE, as the job does', () => {
  // Twelve samples (one hour) with a 30 min cooldown: a CREATE at the first sample and at the seventh, when the
  // cooldown has ended (job.ts puts the VM that caused a CREATE in cooldown; decide() holds its next CREATE).
  const s = replaySettings(settings({ cooldownS: 1800 }), 'safe');

  it('testbed accounting: a VM above high all hour asks for a CREATE once per cooldown, not at every sample', () => {
    // GIVEN one VM at 95 % CPU (state 3) for an hour
    // WHEN the hour is replayed
    const r = simulatePlanetLab(oneVm(95, 12), { settings: s, hosts: 2 });
    // THEN it asked twice: at 0 s and at 1800 s
    expect(r.steps).toBe(12);
    expect(r.creates).toBe(2);
  });

  it('cloudsim accounting: the same VM asks for a CREATE once per cooldown, and the audit shows when', () => {
    // GIVEN the same VM, replayed event by event for an hour (updates at 300.1 s, 600.1 s, ..., 3600.1 s)
    const r = simulateCloudSim(oneVm(95, 12), { policy: { kind: 'core', settings: s }, hosts: 2, limitS: 3601, audit: true });
    // THEN it asked at the first update and at the first one 1800 s later
    expect(r.creates).toBe(2);
    expect(r.audit!.filter((a) => a.creates.includes('hot')).map((a) => Math.round(a.t))).toEqual([300, 2100]);
  });

  it('a replay without cooldown asks at every sample (the control: the cooldown is what spaces them)', () => {
    const r = simulatePlanetLab(oneVm(95, 12), { settings: { ...s, cooldownS: 0 }, hosts: 2 });
    expect(r.creates).toBe(12);
  });
});
