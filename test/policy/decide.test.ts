import { classifyPaper, classifySafe, type ClassifyInput } from '../../src/policy/classify.js';
import { decide } from '../../src/policy/decide.js';
import type { PlanAction, VmState } from '../../src/policy/interfaces.js';
import { validateSpec } from '../../src/config/load.js';
import { PolicyError, policyFromSpec, validatePolicy, type PolicySettings } from '../../src/policy/settings.js';
import { host, NOW, settings, snapshot, vm } from './fixtures.js';

const MIB = 1024 * 1024;
const at = (cpu: number, ram: number, over: Partial<ClassifyInput> = {}): ClassifyInput => ({
  cpuPct: cpu,
  ramPct: ram,
  cpuAvgPct: cpu,
  ramAvgPct: ram,
  netMiB: 0,
  vmnetMiB: 10,
  ...over,
});
const migrations = (actions: readonly PlanAction[]) => actions.filter((a) => a.kind === 'migrate');

describe('validatePolicy', () => {
  it('accepts the spec defaults (consolidate mode, low 25, high 70)', () => {
    // GIVEN the defaults THEN they pass unchanged
    expect(validatePolicy(policyFromSpec(validateSpec({}).spec))).toMatchObject({ low: 25, high: 70, mode: 'consolidate' });
  });

  it.each([
    [0, 0],
    [0, 100],
    [100, 100],
    [70, 70],
  ])('accepts low %d and high %d at the edges', (low, high) => {
    expect(() => validatePolicy(settings({ low, high }))).not.toThrow();
  });

  it('fails when low is greater than high, naming both values and the rule', () => {
    // GIVEN low 80 > high 70
    // WHEN validated THEN every problem is listed
    expect(() => validatePolicy(settings({ low: 80, high: 70 }))).toThrowErrorMatchingInlineSnapshot(`
      [PolicyError: invalid policy settings:
        - policy.thresholds.low (80) is greater than policy.thresholds.high (70); allowed: 0 <= low <= high <= 100; lower low or raise high]
    `);
  });

  it('fails on out-of-range thresholds and weights, listing all of them at once', () => {
    // GIVEN three bad values
    let err: unknown;
    try {
      validatePolicy(settings({ low: -1, high: 101, w1: 300 }));
    } catch (e) {
      err = e;
    }
    // THEN one error carries all three
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).problems).toEqual([
      'policy.thresholds.low is -1; allowed: 0..100',
      'policy.thresholds.high is 101; allowed: 0..100',
      'policy.weights.w1 is 300; allowed: an integer 0..256',
    ]);
  });

  it('fails in decide() too, so hand-built settings cannot skip the check', () => {
    expect(() => decide(snapshot([], []), settings({ low: 90 }))).toThrow(/low \(90\) is greater than/);
  });
});

describe('paper-mode states, at exactly the thresholds', () => {
  const s = settings({ mode: 'paper' });
  it.each<[string, ClassifyInput, VmState | null]>([
    ['both just below low', at(24.99, 24.99), 1],
    ['CPU below low is enough ("either", A1), even with RAM in the middle', at(24.99, 50), 1],
    ['both exactly at low are "between" (A3)', at(25, 25), 2],
    ['both exactly at high are "between" (A3)', at(70, 70), 2],
    ['both just above high', at(70.01, 70.01), 3],
    ['CPU hot but RAM in the middle: row 2 comes first (A1/A2)', at(95, 50), 2],
    ['CPU below low but traffic equal to VMnet: no row matches (A5)', at(10, 10, { netMiB: 10, vmnetMiB: 10 }), null],
    ['current RAM and CPU below their averages: state 0 (A4)', at(40, 40, { cpuAvgPct: 40.01, ramAvgPct: 40.01 }), 0],
    ['only CPU below its average: not state 0', at(40, 40, { cpuAvgPct: 41, ramAvgPct: 40 }), 2],
    ['current equal to the averages: not state 0', at(10, 10), 1],
  ])('%s', (_, input, state) => {
    // WHEN classified THEN the table row is the expected one, with a reason
    const c = classifyPaper(input, s);
    expect(c.state).toBe(state);
    expect(c.reason).toMatch(state === null ? /^no state/ : new RegExp(`^state ${state}`));
  });
});

describe('safe-mode states, at exactly the thresholds and with hysteresis', () => {
  const s = settings({ mode: 'safe', hysteresisPct: 5 });
  it.each<[string, ClassifyInput, VmState | undefined, VmState]>([
    ['load just below low, no history', at(24.99, 10), undefined, 1],
    ['load exactly low, no history', at(25, 10), undefined, 2],
    ['load exactly high, no history', at(10, 70), undefined, 2],
    ['load just above high, no history', at(10, 70.01), undefined, 3],
    ['the larger of CPU and RAM counts: CPU 95, RAM 10', at(95, 10), undefined, 3],
    ['low but heavy traffic is held in state 2', at(10, 10, { netMiB: 10, vmnetMiB: 10 }), undefined, 2],
    ['from state 2, 20 (= low - h) is still 2', at(20, 0), 2, 2],
    ['from state 2, 19.99 drops to 1', at(19.99, 0), 2, 1],
    ['from state 1, 29.99 stays 1', at(29.99, 0), 1, 1],
    ['from state 1, 30 (= low + h) rises to 2', at(30, 0), 1, 2],
    ['from state 2, 75 (= high + h) stays 2', at(75, 0), 2, 2],
    ['from state 2, 75.01 rises to 3', at(75.01, 0), 2, 3],
    ['from state 3, 65.01 stays 3', at(65.01, 0), 3, 3],
    ['from state 3, 65 (= high - h) falls to 2', at(65, 0), 3, 2],
    ['idle for the interval (averages below low, falling): state 0', at(5, 5, { cpuAvgPct: 8, ramAvgPct: 8 }), undefined, 0],
    ['falling but the averages were busy: state 1, not 0', at(5, 5, { cpuAvgPct: 30, ramAvgPct: 8 }), undefined, 1],
  ])('%s', (_, input, previous, state) => {
    expect(classifySafe(input, s, previous).state).toBe(state);
  });
});

describe('decide()', () => {
  it('plans nothing for an empty cluster', () => {
    for (const mode of ['paper', 'safe'] as const) {
      const plan = decide(snapshot([], []), settings({ mode }));
      expect(plan).toEqual({ mode, now: NOW, decisions: [], actions: [], warnings: [] });
    }
  });

  it('gives every VM a decision with a reason', () => {
    // GIVEN VMs in each state
    const vms = [
      vm('a', 'h1', { cpuPct: 10, ramPct: 10 }),
      vm('b', 'h1'),
      vm('c', 'h2', { cpuPct: 90 }),
      vm('d', 'h2', { cpuPct: 1, ramPct: 1, cpuAvgPct: 9, ramAvgPct: 9 }),
    ];
    const plan = decide(snapshot([host('h1'), host('h2')], vms), settings());
    // THEN
    expect(plan.decisions.map((d) => [d.vmId, d.state])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 0],
    ]);
    for (const d of plan.decisions) expect(d.reason.length).toBeGreaterThan(10);
  });

  it('does not act on stale or missing metrics, and warns', () => {
    // GIVEN one VM sampled 10 minutes ago and one with NaN CPU
    const vms = [vm('old', 'h1', { cpuPct: 95, sampledAt: NOW - 600_000 }), vm('nan', 'h1', { cpuPct: Number.NaN })];
    const plan = decide(snapshot([host('h1')], vms), settings());
    // THEN both are skipped, with warnings, and nothing is done
    expect(plan.decisions.map((d) => d.state)).toEqual(['skipped', 'skipped']);
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual(['old: no action: metrics are 600 s old (stale after 180 s)', 'nan: no action: metrics missing or not numbers']);
  });

  it('warns once that unknown dirty rates were estimated conservatively', () => {
    const plan = decide(
      snapshot([host('h1')], [vm('a', 'h1', { dirtyBytesPerS: undefined }), vm('b', 'h1', { dirtyBytesPerS: undefined })]),
      settings(),
    );
    expect(plan.warnings).toEqual([expect.stringMatching(/^dirty rate unknown for 2 VM\(s\): assumed β = 0.5/)]);
  });

  it('uses a measured dirty rate for VMnet, and each decision says the rate and where it came from', () => {
    // GIVEN a VM whose rate QEMU measured (32 MiB/s) and one whose source does not say
    const measured = vm('m', 'h1', { dirtyBytesPerS: 32 * MIB, dirtyRateSource: 'QEMU calc-dirty-rate (dirty-bitmap, 1000 ms)' });
    const plan = decide(snapshot([host('h1')], [measured, vm('u', 'h1', { dirtyBytesPerS: 2 * MIB })]), settings());
    // THEN no β is assumed, and the measured VM's reason ends with its rate and its source
    expect(plan.warnings).toEqual([]);
    expect(plan.decisions.find((d) => d.vmId === 'm')!.reason).toMatch(/; dirty rate 32 MiB\/s \(QEMU calc-dirty-rate \(dirty-bitmap, 1000 ms\)\)$/);
    expect(plan.decisions.find((d) => d.vmId === 'u')!.reason).not.toContain('dirty rate');
  });

  describe('the W1 migration direction (A6)', () => {
    it("moves VMj onto VMi's host when that host stays at or under high with both VMs", () => {
      // GIVEN j (low) on h1 and i (lower) on h2, h2 with room
      const vms = [vm('j', 'h1', { cpuPct: 20, ramPct: 20 }), vm('i', 'h2', { cpuPct: 5, ramPct: 5 })];
      for (const mode of ['paper', 'safe'] as const) {
        const plan = decide(snapshot([host('h1'), host('h2', { cpuPct: 30, ramPct: 30 })], vms), settings({ mode }));
        // THEN j moves to h2
        expect(migrations(plan.actions)).toEqual([expect.objectContaining({ vmId: 'j', from: 'h1', to: 'h2' })]);
      }
    });

    it("moves VMi onto VMj's host the other way when VMi's host would exceed high", () => {
      // GIVEN VMi's host h2 at 69.9 % CPU: adding j (20 % of 2 of 16 vCPUs = 2.5 points) exceeds 70
      const vms = [vm('j', 'h1', { cpuPct: 20, ramPct: 20 }), vm('i', 'h2', { cpuPct: 5, ramPct: 5 })];
      const plan = decide(snapshot([host('h1'), host('h2', { cpuPct: 69.9 })], vms), settings({ mode: 'paper' }));
      // THEN i moves to h1
      expect(migrations(plan.actions)).toEqual([expect.objectContaining({ vmId: 'i', from: 'h2', to: 'h1' })]);
      expect(migrations(plan.actions)[0]!.reason).toMatch(/> 70, so VMi moves to VMj's host/);
    });

    it('looks for VMi on other hosts only (A7)', () => {
      // GIVEN the lowest VM shares j's host
      const vms = [vm('j', 'h1', { cpuPct: 20, ramPct: 20 }), vm('same', 'h1', { cpuPct: 1, ramPct: 1 }), vm('i', 'h2', { cpuPct: 5, ramPct: 5 })];
      const plan = decide(snapshot([host('h1'), host('h2')], vms), settings({ mode: 'paper' }));
      // THEN the partner is i on h2, and no VM moves twice in a cycle (A8)
      expect(migrations(plan.actions).map((m) => m.kind === 'migrate' && [m.vmId, m.to])).toEqual([
        ['j', 'h2'],
        ['same', 'h2'],
      ]);
    });
  });

  describe('when all hosts are hot', () => {
    const hot = [host('h1', { cpuPct: 69 }), host('h2', { cpuPct: 69 })];
    const vms = [vm('j', 'h1', { cpuPct: 20, ramPct: 20 }), vm('i', 'h2', { cpuPct: 10, ramPct: 10 })];

    it('safe mode migrates nothing and says why', () => {
      const plan = decide(snapshot(hot, vms), settings());
      expect(migrations(plan.actions)).toEqual([]);
      expect(plan.decisions.find((d) => d.vmId === 'j')!.reason).toMatch(/not migrated: h2 would be at CPU 71.5, RAM 26.3 > 70/);
    });

    it('paper mode still migrates, as written', () => {
      const plan = decide(snapshot(hot, vms), settings({ mode: 'paper' }));
      expect(migrations(plan.actions)).toHaveLength(1);
    });
  });

  describe('safe-mode safeguards', () => {
    const two = [host('h1'), host('h2')];
    const lowPair = [vm('j', 'h1', { cpuPct: 20, ramPct: 20 }), vm('i', 'h2', { cpuPct: 5, ramPct: 5 })];

    it('leaves a VM in cooldown alone: no migration, CREATE held', () => {
      // GIVEN both low VMs and a hot one in cooldown
      const vms = [...lowPair.map((v) => ({ ...v })), vm('hot', 'h1', { cpuPct: 99 })];
      const cooldownUntil = { j: NOW + 1, i: NOW + 1, hot: NOW + 60_000 };
      const plan = decide(snapshot(two, vms, { memory: { lastState: {}, cooldownUntil } }), settings());
      // THEN nothing moves or gets created
      expect(plan.actions.filter((a) => a.kind !== 'weight')).toEqual([]);
      expect(plan.decisions.find((d) => d.vmId === 'hot')!.reason).toMatch(/CREATE held: VM in cooldown/);
      // AND once the cooldown ended, at exactly its end, j may move
      const later = decide(snapshot(two, vms, { now: NOW + 1, memory: { lastState: {}, cooldownUntil } }), settings());
      expect(migrations(later.actions).map((m) => m.vmId)).toEqual(['j']);
    });

    it('respects max_concurrent per host, counting migrations already in flight', () => {
      const plan = decide(snapshot([host('h1', { migrationsInFlight: 1 }), host('h2')], lowPair), settings({ maxConcurrentPerHost: 1 }));
      expect(migrations(plan.actions)).toEqual([]);
      expect(plan.decisions.find((d) => d.vmId === 'j')!.reason).toMatch(/max_concurrent \(1\)/);
    });

    it('caps migrations per cycle, smallest VMnet first', () => {
      // GIVEN three low VMs with different dirty rates on h1, an empty-ish h2 with a low VM
      const vms = [
        vm('big', 'h1', { cpuPct: 10, ramPct: 10, dirtyBytesPerS: 40 * MIB }),
        vm('small', 'h1', { cpuPct: 10, ramPct: 10, dirtyBytesPerS: 1 * MIB }),
        vm('i', 'h2', { cpuPct: 1, ramPct: 1 }),
      ];
      const plan = decide(snapshot(two, vms), settings({ maxMigrationsPerCycle: 1 }));
      expect(migrations(plan.actions).map((m) => m.vmId)).toEqual(['small']);
    });

    it('plans no migration at all when max_migrations_per_cycle is 0', () => {
      expect(migrations(decide(snapshot(two, lowPair), settings({ maxMigrationsPerCycle: 0 })).actions)).toEqual([]);
    });

    it('respects anti-affinity', () => {
      const vms = [
        vm('j', 'h1', { cpuPct: 20, ramPct: 20, antiAffinityGroup: 'g' }),
        vm('i', 'h2', { cpuPct: 5, ramPct: 5, antiAffinityGroup: 'g' }),
      ];
      const plan = decide(snapshot(two, vms), settings());
      expect(migrations(plan.actions)).toEqual([]);
      expect(plan.decisions.find((d) => d.vmId === 'j')!.reason).toMatch(/anti-affinity group g already on h2/);
    });

    it('does not migrate a VM behind the load balancer when the load balancer is unreachable', () => {
      const vms = [vm('j', 'h1', { cpuPct: 20, ramPct: 20, lb: { backend: 'web', server: 'j' } }), vm('i', 'h2', { cpuPct: 5, ramPct: 5 })];
      const plan = decide(snapshot(two, vms, { lbReachable: false }), settings());
      expect(migrations(plan.actions).map((m) => m.vmId)).toEqual(['i']);
      expect(plan.decisions.find((d) => d.vmId === 'j')!.reason).toMatch(/load balancer is unreachable/);
    });

    it('skips a VM whose pre-copy would not converge', () => {
      const vms = [
        vm('j', 'h1', { cpuPct: 20, ramPct: 20, dirtyBytesPerS: 200 * MIB }),
        vm('i', 'h2', { cpuPct: 5, ramPct: 5, dirtyBytesPerS: 200 * MIB }),
      ];
      const plan = decide(snapshot(two, vms), settings({ vmnetLimitMiB: 1e9 }));
      expect(migrations(plan.actions)).toEqual([]);
      expect(plan.decisions.find((d) => d.vmId === 'j')!.reason).toMatch(/pre-copy would not converge/);
    });

    it('sends a weight only when the state changed', () => {
      const web = { backend: 'web', server: 'a' };
      const vms = [vm('a', 'h1', { lb: web })];
      const first = decide(snapshot([host('h1')], vms), settings());
      const again = decide(snapshot([host('h1')], vms, { memory: { lastState: { a: 2 }, cooldownUntil: {} } }), settings());
      expect(first.actions).toEqual([expect.objectContaining({ kind: 'weight', weight: 128, lb: web })]);
      expect(again.actions).toEqual([]);
    });

    it('plans one CREATE per backend per cycle', () => {
      const web = (s: string) => ({ backend: 'web', server: s });
      const vms = [vm('a', 'h1', { cpuPct: 90, lb: web('a') }), vm('b', 'h1', { cpuPct: 95, lb: web('b') })];
      const plan = decide(snapshot([host('h1')], vms, { memory: { lastState: { a: 3, b: 3 }, cooldownUntil: {} } }), settings());
      expect(plan.actions).toEqual([expect.objectContaining({ kind: 'create', likeVmId: 'a' })]);
    });
  });

  describe('state 0', () => {
    const idle = (over = {}) =>
      vm('z', 'h1', { cpuPct: 1, ramPct: 1, cpuAvgPct: 9, ramAvgPct: 9, ip: '10.0.0.9', lb: { backend: 'web', server: 'z' }, ...over });
    const plan = (over: object, s: object) => decide(snapshot([host('h1')], [idle(over)]), settings(s)).actions.filter((a) => a.kind !== 'weight');

    it.each<[string, object, object, PlanAction['kind'] | 'none']>([
      ['safe: destroy allowed, created by the job → TERM', { createdByJob: true }, { allowDestroy: true }, 'terminate'],
      ['safe: destroy allowed, not created by the job → only drained', {}, { allowDestroy: true }, 'drain'],
      ['safe: destroy not allowed, created by the job → only drained', { createdByJob: true }, {}, 'drain'],
      ['safe: no load balancer → only reported', { lb: undefined }, {}, 'none'],
      ['paper: destroy allowed → TERM ip', {}, { mode: 'paper', allowDestroy: true }, 'terminate'],
      ['paper: destroy not allowed → suppressed', {}, { mode: 'paper' }, 'none'],
    ])('%s', (_, over, s, kind) => {
      const acts = plan(over, s);
      expect(acts.map((a) => a.kind)).toEqual(kind === 'none' ? [] : [kind]);
    });

    it('never drains or destroys when the load balancer is unreachable', () => {
      const p = decide(snapshot([host('h1')], [idle({ createdByJob: true })], { lbReachable: false }), settings({ allowDestroy: true }));
      expect(p.actions).toEqual([]);
    });
  });
});

describe('consolidate mode', () => {
  const cons = (over: Partial<PolicySettings> = {}) => settings({ mode: 'consolidate', ...over });
  /** A host whose load is what its VMs explain (16 vCPUs, 16 GiB; a 2-vCPU VM at 100 % is 12.5 % of it). */
  const idle = (name: string, over = {}) => host(name, { cpuPct: 0, ramPct: 0, ...over });
  const moves = (actions: readonly PlanAction[]) => migrations(actions).map((a) => a.kind === 'migrate' && `${a.vmId} ${a.from}->${a.to}`);

  it('empties the least loaded host onto the fullest one that stays under high, never onto an empty host', () => {
    // GIVEN a at 2.5 %, b at 50 %, c empty
    const vms = [vm('x', 'a', { cpuPct: 20 }), ...[1, 2, 3, 4].map((i) => vm(`b${i}`, 'b', { cpuPct: 100 }))];
    const plan = decide(snapshot([idle('a'), idle('b'), idle('c')], vms), cons());
    // THEN x moves to b (b ends at 52.5 % <= 70), and nothing else moves
    expect(moves(plan.actions)).toEqual(['x a->b']);
    expect(migrations(plan.actions)[0]!.reason).toMatch(/evacuate a .*b forecast CPU 52\.5/);
  });

  it('moves all of a host or nothing', () => {
    // GIVEN a holds x (small) and y (8 vCPUs at 100 %, which b cannot take under high)
    const vms = [
      vm('x', 'a', { cpuPct: 10 }),
      vm('y', 'a', { cpuPct: 100, vcpus: 8 }),
      ...[1, 2, 3, 4].map((i) => vm(`b${i}`, 'b', { cpuPct: 100 })),
    ];
    const plan = decide(snapshot([idle('a'), idle('b')], vms), cons());
    // THEN x stays too
    expect(moves(plan.actions)).toEqual([]);
  });

  it('respects anti-affinity: the target may not hold a VM of the same group', () => {
    const vms = [
      vm('x', 'a', { cpuPct: 10, antiAffinityGroup: 'g' }),
      vm('b1', 'b', { cpuPct: 100, antiAffinityGroup: 'g' }),
      vm('b2', 'b', { cpuPct: 100 }),
      vm('c1', 'c', { cpuPct: 90 }),
    ];
    const plan = decide(snapshot([idle('a'), idle('b'), idle('c')], vms), cons());
    // THEN x goes to c, the next fullest host, not to b
    expect(moves(plan.actions)).toEqual(['x a->c']);
  });

  it.each([
    [undefined, false],
    [0, true],
  ])("checks RAM against the target's capacity with the VM's RAM need (ramReservedMiB %s): x moves to b: %s", (ramReservedMiB, toB) => {
    // GIVEN b has 95 % of its 16 GiB in use and x needs its full 1 GiB (default) or, as CloudSim charges it, 0 MiB
    const x = vm('x', 'a', { cpuPct: 10, ...(ramReservedMiB === undefined ? {} : { ramReservedMiB }) });
    const plan = decide(snapshot([idle('a'), idle('b', { ramPct: 95 })], [x, vm('b1', 'b', { cpuPct: 100 })]), cons());
    expect(moves(plan.actions).includes('x a->b')).toBe(toB);
    for (const m of migrations(plan.actions)) expect(m.reason).toMatch(/RAM [0-9.]+ MiB after the move/);
  });

  it('does not evacuate a host holding a VM in cooldown (the per-host hysteresis), nor move that VM', () => {
    const vms = [vm('x', 'a', { cpuPct: 10 }), vm('y', 'a', { cpuPct: 10 }), vm('b1', 'b', { cpuPct: 100 }), vm('b2', 'b', { cpuPct: 100 })];
    const snap = snapshot([idle('a'), idle('b')], vms, { memory: { lastState: {}, cooldownUntil: { y: NOW + 60_000 } } });
    const plan = decide(snap, cons());
    expect(migrations(plan.actions).filter((a) => a.kind === 'migrate' && a.from === 'a')).toEqual([]);
  });

  it('neither evacuates nor fills a host with a VM whose metrics are missing', () => {
    // GIVEN a would be the best fit for c's VM, but one of a's VMs has no metrics
    const vms = [vm('a1', 'a', { cpuPct: 100 }), vm('w', 'a', { cpuPct: Number.NaN }), vm('b1', 'b', { cpuPct: 50 }), vm('x', 'c', { cpuPct: 10 })];
    const plan = decide(snapshot([idle('a'), idle('b'), idle('c')], vms), cons());
    const touched = migrations(plan.actions).filter((a) => a.kind === 'migrate' && (a.from === 'a' || a.to === 'a'));
    expect(touched).toEqual([]);
    expect(moves(plan.actions)).toContain('x c->b');
  });

  it('acts on the forecast: a host under high now but rising sheds its smallest-memory VM first', () => {
    // GIVEN six VMs at 90 % (67.5 % of a, under high 70), each rising 10 points per sample
    const rising = { cpuPct: 90, cpuHistoryPct: [60, 70, 80, 90] };
    const vms = [
      ...[1, 2, 3, 4, 5].map((i) => vm(`a${i}`, 'a', rising)),
      vm('small', 'a', { ...rising, memoryMiB: 512 }),
      vm('b1', 'b', { cpuPct: 10 }),
    ];
    const plan = decide(snapshot([idle('a'), idle('b')], vms), cons());
    expect(moves(plan.actions)).toEqual(['small a->b']);
    expect(migrations(plan.actions)[0]!.reason).toMatch(/a forecast CPU 75\.0 > high 70\.0: minimum migration time/);
    // safe mode, on the same snapshot, sees nothing above high
    expect(migrations(decide(snapshot([idle('a'), idle('b')], vms), settings()).actions).some((a) => a.kind === 'migrate' && a.from === 'a')).toBe(
      false,
    );
  });

  it('sizes its budget to the fleet: a quarter of the VMs per cycle, not max_migrations_per_cycle (4)', () => {
    // GIVEN 20 hosts with one small VM each and one host to consolidate onto
    const hosts = [idle('big'), ...Array.from({ length: 20 }, (_, i) => idle(`h${i}`))];
    const vms = [vm('big1', 'big', { cpuPct: 100 }), ...Array.from({ length: 20 }, (_, i) => vm(`v${i}`, `h${i}`, { cpuPct: 5 }))];
    const plan = decide(snapshot(hosts, vms), cons());
    expect(migrations(plan.actions)).toHaveLength(Math.ceil(0.25 * 21));
  });
});
