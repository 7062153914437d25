import { readFileSync } from 'node:fs';
import { testbedSpecSchema } from '../../src/config/schema.js';
import {
  completionTimeoutS,
  downtimeAt,
  downtimeSteps,
  migrationCapabilities,
  migrationDataGb,
  novaMigrationPlan,
  scheduleText,
  shouldTriggerTimeoutAction,
  timeoutActionOf,
} from '../../src/experiments/nova-schedule.js';

/** Nova's own figures for a table of settings: see the file's `source` (numbers only, no Nova code here). */
const NOVA_CASES = JSON.parse(readFileSync(new URL('./nova-schedule-cases.json', import.meta.url), 'utf8')) as {
  cases: {
    settings: { downtime_ms: number; downtime_steps: number; downtime_delay_s: number; completion_timeout_s: number; ram_mib: number };
    nova: { data_gb: number; steps: [number, number][]; completion_timeout_s: number; at: [number, [number, number] | null, boolean][] };
  }[];
};
const defaults = testbedSpecSchema.parse({}).live_migration;

describe("the lab's migration schedule, as Nova's libvirt driver computes it", () => {
  it("gives the progression of Nova's own docstring (10 steps, 30 s delay, 3 GB, 400 ms)", () => {
    const steps = downtimeSteps({ downtime_ms: 400, downtime_steps: 10, downtime_delay_s: 30 }, 3);
    expect(steps.map((s) => [s.at_s, s.downtime_ms])).toEqual([
      [0, 40],
      [90, 76],
      [180, 112],
      [270, 148],
      [360, 184],
      [450, 220],
      [540, 256],
      [630, 292],
      [720, 328],
      [810, 364],
      [900, 400],
    ]);
  });

  it("starts a lab VM with Nova's defaults at 50 ms and raises it every 150 s (data_gb is at least 2)", () => {
    // GIVEN testbed.yaml's defaults (Nova's: 500 ms, 10 steps, 75 s, 800 s) and a 256 MiB lab VM
    const plan = novaMigrationPlan(defaults, 256);
    // THEN Nova counts 2 GB, starts at 500 ÷ 10 ms, adds 45 ms every 75 × 2 s, and times out after 800 × 2 s
    expect(plan.data_gb).toBe(2);
    expect(plan.downtime_steps[0]).toEqual({ at_s: 0, downtime_ms: 50 });
    expect(plan.downtime_steps[1]).toEqual({ at_s: 150, downtime_ms: 95 });
    expect(plan.downtime_steps.at(-1)).toEqual({ at_s: 1500, downtime_ms: 500 });
    expect(plan.completion_timeout_s).toBe(1600);
    expect(plan.timeout_action).toBe('abort');
    expect(plan.capabilities).toEqual({ 'auto-converge': false, 'postcopy-ram': false });
    // AND a bigger guest counts its own RAM
    expect(migrationDataGb(3072)).toBe(3);
    expect(migrationDataGb(1024, [1, 10])).toBe(2 + 2 + 10);
  });

  it('applies a step only once the elapsed time has passed it, and the last one passed', () => {
    const steps = downtimeSteps({ downtime_ms: 300, downtime_steps: 3, downtime_delay_s: 3 }, 2);
    expect(steps).toEqual([
      { at_s: 0, downtime_ms: 100 },
      { at_s: 6, downtime_ms: 166 },
      { at_s: 12, downtime_ms: 233 },
      { at_s: 18, downtime_ms: 300 },
    ]);
    expect(downtimeAt(steps, 0)).toBeUndefined();
    expect(downtimeAt(steps, 0.1)?.downtime_ms).toBe(100);
    expect(downtimeAt(steps, 6)?.downtime_ms).toBe(100);
    expect(downtimeAt(steps, 6.01)?.downtime_ms).toBe(166);
    expect(downtimeAt(steps, 1e6)?.downtime_ms).toBe(300);
  });

  it('triggers the timeout action after int(completion_timeout × data_gb) s, never with 0 and never in post-copy', () => {
    expect(completionTimeoutS({ completion_timeout_s: 5 }, 2.5)).toBe(12);
    expect(shouldTriggerTimeoutAction(12, 12, false)).toBe(false);
    expect(shouldTriggerTimeoutAction(12.1, 12, false)).toBe(true);
    expect(shouldTriggerTimeoutAction(1e9, 0, false)).toBe(false);
    expect(shouldTriggerTimeoutAction(13, 12, true)).toBe(false);
  });

  it('switches to post-copy on force_complete when permitted, else pauses, and never uses auto-converge with post-copy', () => {
    expect(timeoutActionOf({ timeout_action: 'abort', permit_post_copy: true })).toBe('abort');
    expect(timeoutActionOf({ timeout_action: 'force_complete', permit_post_copy: true })).toBe('postcopy');
    expect(timeoutActionOf({ timeout_action: 'force_complete', permit_post_copy: false })).toBe('pause');
    expect(migrationCapabilities({ permit_post_copy: true, permit_auto_converge: true })).toEqual({ postcopy: true, autoConverge: false });
    expect(migrationCapabilities({ permit_post_copy: false, permit_auto_converge: true })).toEqual({ postcopy: false, autoConverge: true });
  });

  it('writes the applied schedule as one readable cell', () => {
    expect(
      scheduleText([
        { at_ms: 0, action: 'downtime-limit', value: 100 },
        { at_ms: 6012, action: 'downtime-limit', value: 166 },
        { at_ms: 10050, action: 'pause' },
      ]),
    ).toBe('0s:100ms 6s:166ms 10.1s:pause');
  });

  it("matches Nova's own figures step for step on a table of settings (Nova's allowed ranges, 256 MiB to 16 GiB)", () => {
    // GIVEN the figures Nova's migration.py and driver.py computed for each setting and elapsed time
    const cases = NOVA_CASES.cases.map((k) => k.settings);
    const nova = NOVA_CASES.cases.map((k) => k.nova);
    // THEN every step, every choice at every elapsed time and every timeout decision is the same
    for (const [i, c] of cases.entries()) {
      const n = nova[i]!;
      const dataGb = migrationDataGb(c.ram_mib);
      const steps = downtimeSteps(c, dataGb);
      const timeout = completionTimeoutS(c, dataGb);
      expect(dataGb).toBe(n.data_gb);
      expect(steps.map((s) => [s.at_s, s.downtime_ms])).toEqual(n.steps);
      expect(timeout).toBe(n.completion_timeout_s);
      for (const [elapsed, step, trigger] of n.at) {
        const ours = downtimeAt(steps, elapsed);
        expect(ours ? [ours.at_s, ours.downtime_ms] : null, `${JSON.stringify(c)} at ${elapsed} s`).toEqual(step);
        expect(shouldTriggerTimeoutAction(elapsed, timeout, false)).toBe(trigger);
      }
    }
  });
});
