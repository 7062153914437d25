/**
 * `consolidate` mode's migration planner (pure; called by `decide()`): host-level consolidation that keeps
 * safe mode's promises.
 *
 * - Load of a host = Σ its VMs' CPU shares (plus what its VMs do not explain); its *forecast* = Σ per-VM
 *   forecasts, each the larger of the current value and a tricube-weighted local regression of the VM's
 *   last samples one period ahead (`cpuHistoryPct`; without history, the larger of current and average).
 *   Every check is made on the forecast, so VMs move before `high` is crossed (the study's "future work").
 * - Overload: a host whose forecast is above `high` sheds VMs, smallest memory first (minimum migration
 *   time), until its forecast is at or under `high`.
 * - Evacuation: hosts are tried smallest capacity first, then least loaded (a larger host serves the same
 *   load with fewer hosts powered); a host is emptied only if *every* VM on it can be placed (all or
 *   nothing), several hosts per cycle within the budget. A host holding a VM in cooldown (it received or
 *   sent one recently) is not evacuated: that is the per-host hysteresis.
 * - Placement: largest capacity first, then best fit (the fullest host whose forecast stays ≤ `high` with the
 *   VM added), never an empty host for an evacuation; an empty host (the largest) only for an overloaded
 *   host's VM that fits nowhere else. A target must also have the VM's RAM need free (`ramReservedMiB`,
 *   default its full memory, against the host's capacity), hold no VM of the same anti-affinity group, be
 *   usable, not be a source this cycle, and be under the per-host concurrency limit.
 * - Budget: at most max(`max_migrations_per_cycle`, BUDGET_FRACTION of the VMs) migrations per cycle.
 * - VMs with missing or stale metrics, or in flight, are never moved, and their host is neither a source
 *   nor a target (its load is unknown).
 *
 * Work per cycle: O(VMs + placements × log hosts): the candidate targets of each capacity class are kept
 * sorted by forecast, and a placement is a binary search plus a short scan.
 */
import type { HostView, PlanAction, VmView } from './interfaces.js';
import type { PolicySettings } from './settings.js';

export interface ConsolidateVm {
  readonly vm: VmView;
  /** Why the VM may not move at all (in cooldown, pre-copy would not converge, LB unreachable...); undefined: it may. */
  readonly blocked: string | undefined;
  readonly trafficMiB: number;
  readonly timeS: number;
  /** The VM's decision in the plan: what the planner did with it is appended to its reason. */
  readonly decision: { reason: string };
}

const note = (c: ConsolidateVm, text: string): void => {
  c.decision.reason += `; ${text}`;
};
const byId = (a: ConsolidateVm, b: ConsolidateVm): number => (a.vm.id < b.vm.id ? -1 : a.vm.id > b.vm.id ? 1 : 0);

/** Fraction of the VMs that may migrate per cycle (at least `max_migrations_per_cycle`). */
export const BUDGET_FRACTION = 0.25;
/** Samples used by the forecast. */
const FORECAST_SAMPLES = 10;
/** Tricube weights for n = 1..FORECAST_SAMPLES samples, newest weighing 1 (Cleveland 1979). */
const TRICUBE: ReadonlyArray<Float64Array> = Array.from({ length: FORECAST_SAMPLES + 1 }, (_, n) =>
  Float64Array.from({ length: n }, (_, i) => (n < 2 ? 1 : (1 - Math.abs((n - 1 - i) / (n - 1)) ** 3) ** 3)),
);

const f1 = (v: number): string => v.toFixed(1);

/** Local (tricube-weighted) linear regression of the last samples of `h` (oldest first), one step ahead. */
function loessAhead(h: readonly number[]): number | undefined {
  const n = Math.min(FORECAST_SAMPLES, h.length);
  const w = TRICUBE[n]!;
  const off = h.length - n;
  let sw = 0,
    sx = 0,
    sy = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    sx += w[i]! * (i + 1);
    sy += w[i]! * h[off + i]!;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = i + 1 - mx;
    sxx += w[i]! * dx * dx;
    sxy += w[i]! * dx * (h[off + i]! - my);
  }
  if (!(sxx > 0)) return undefined;
  return my + (sxy / sxx) * (n + 1 - mx);
}

/** A VM's forecast CPU %, one sample period ahead: never below its current use. */
export function vmForecastPct(vm: VmView): number {
  const h = vm.cpuHistoryPct;
  if (h && h.length >= 3) return Math.min(100, Math.max(vm.cpuPct, loessAhead(h) ?? 0));
  return Math.max(vm.cpuPct, vm.cpuAvgPct);
}

interface HostState {
  readonly view: HostView;
  /** Index in the snapshot (ties). */
  readonly index: number;
  vms: ConsolidateVm[];
  /** Forecast CPU in vCPU-percent (host % × host vCPUs), and its limit `high` × vCPUs. */
  fc: number;
  readonly limit: number;
  /** RAM in use (MiB), needs of the VMs planned in included. */
  ram: number;
  inFlight: number;
  readonly unknown: boolean;
  groups: Map<string, number>;
  role: 'none' | 'source' | 'target';
  /** Whether it is in its class's sorted list of candidate targets. */
  listed: boolean;
}

/** The candidate targets of one capacity (vCPUs), sorted by forecast ascending (then snapshot order). */
class TargetList {
  readonly items: HostState[] = [];
  constructor(readonly vcpus: number) {}
  private pos(h: HostState): number {
    let lo = 0,
      hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.items[mid]!;
      if (m.fc < h.fc || (m.fc === h.fc && m.index < h.index)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(h: HostState): void {
    this.items.splice(this.pos(h), 0, h);
    h.listed = true;
  }
  remove(h: HostState): void {
    let i = this.pos(h);
    if (this.items[i] !== h) i = this.items.indexOf(h);
    if (i >= 0) this.items.splice(i, 1);
    h.listed = false;
  }
  /** The fullest listed host other than `from` that takes `need` more vCPU-percent within its limit and `take(c, host)`. */
  best(need: number, c: ConsolidateVm, from: HostState, take: (c: ConsolidateVm, h: HostState) => boolean): HostState | undefined {
    const max = this.items.length === 0 ? 0 : this.items[0]!.limit - need;
    let lo = 0,
      hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.fc <= max) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const h = this.items[i]!;
      if (h !== from && take(c, h)) return h;
    }
    return undefined;
  }
}

export function planConsolidation(
  hostViews: readonly HostView[],
  movable: readonly ConsolidateVm[],
  unknownHosts: ReadonlySet<string>,
  s: PolicySettings,
): PlanAction[] {
  const hosts = new Map<string, HostState>();
  hostViews.forEach((h, index) =>
    hosts.set(h.name, {
      view: h,
      index,
      vms: [],
      fc: 0,
      limit: s.high * h.vcpus,
      ram: (h.ramPct * h.memoryMiB) / 100,
      inFlight: h.migrationsInFlight,
      unknown: unknownHosts.has(h.name),
      groups: new Map(),
      role: 'none',
      listed: false,
    }),
  );
  const fc = new Map<ConsolidateVm, number>();
  const load = new Map<HostState, number>();
  for (const c of movable) {
    const h = hosts.get(c.vm.host);
    if (!h) continue;
    h.vms.push(c);
    const p = vmForecastPct(c.vm) * c.vm.vcpus;
    fc.set(c, p);
    h.fc += p;
    load.set(h, (load.get(h) ?? 0) + c.vm.cpuPct * c.vm.vcpus);
    const g = c.vm.antiAffinityGroup;
    if (g) h.groups.set(g, (h.groups.get(g) ?? 0) + 1);
  }
  // Load the VMs do not explain (hypervisor, ...) stays on the host.
  for (const h of hosts.values()) h.fc += Math.max(0, h.view.cpuPct * h.view.vcpus - (load.get(h) ?? 0));

  const budget = Math.max(s.maxMigrationsPerCycle, Math.ceil(BUDGET_FRACTION * movable.length));
  const cap = s.maxConcurrentPerHost;
  const out: PlanAction[] = [];
  const pct = (h: HostState): number => h.fc / h.view.vcpus;
  const ramNeed = (c: ConsolidateVm): number => c.vm.ramReservedMiB ?? c.vm.memoryMiB;

  // Candidate targets: usable, known hosts with VMs, per capacity class, largest class first.
  const lists = new Map<number, TargetList>();
  const empty: HostState[] = [];
  for (const h of hosts.values()) {
    if (!h.view.usable || h.unknown) continue;
    if (h.fc <= 0 && h.vms.length === 0) {
      empty.push(h);
      continue;
    }
    let l = lists.get(h.view.vcpus);
    if (!l) lists.set(h.view.vcpus, (l = new TargetList(h.view.vcpus)));
    l.insert(h);
  }
  const classes = [...lists.values()].sort((a, b) => b.vcpus - a.vcpus);
  empty.sort((a, b) => b.view.vcpus - a.view.vcpus || a.index - b.index);
  const listOf = (h: HostState): TargetList => {
    let l = lists.get(h.view.vcpus);
    if (!l) {
      lists.set(h.view.vcpus, (l = new TargetList(h.view.vcpus)));
      classes.push(l);
      classes.sort((a, b) => b.vcpus - a.vcpus);
    }
    return l;
  };

  /** Whether `to` can take `c` besides CPU (which the caller's search checks): not a source, concurrency, RAM, anti-affinity. */
  const canTake = (c: ConsolidateVm, to: HostState): boolean => {
    if (to.role === 'source') return false;
    if (cap > 0 && to.inFlight >= cap) return false;
    if (to.ram + ramNeed(c) > to.view.memoryMiB) return false;
    const g = c.vm.antiAffinityGroup;
    return !(g && (to.groups.get(g) ?? 0) > 0);
  };
  const bestTarget = (c: ConsolidateVm, from: HostState, allowEmpty: boolean): HostState | undefined => {
    const p = fc.get(c)!;
    for (const l of classes) {
      const h = l.best(p, c, from, canTake);
      if (h) return h;
    }
    if (!allowEmpty) return undefined;
    for (const h of empty) if (h !== from && h.fc + p <= h.limit && canTake(c, h)) return h;
    return undefined;
  };
  /** Moves `c` in the projection (a trial can be undone by `unplace`). */
  const place = (c: ConsolidateVm, from: HostState, to: HostState): void => {
    const p = fc.get(c)!;
    if (to.listed) listOf(to).remove(to);
    else {
      const i = empty.indexOf(to);
      if (i >= 0) empty.splice(i, 1);
    }
    to.fc += p;
    to.ram += ramNeed(c);
    to.inFlight += 1;
    to.vms.push(c);
    const g = c.vm.antiAffinityGroup;
    if (g) to.groups.set(g, (to.groups.get(g) ?? 0) + 1);
    listOf(to).insert(to);
    from.inFlight += 1;
  };
  const unplace = (c: ConsolidateVm, from: HostState, to: HostState): void => {
    const p = fc.get(c)!;
    listOf(to).remove(to);
    to.fc -= p;
    to.ram -= ramNeed(c);
    to.inFlight -= 1;
    to.vms.pop();
    const g = c.vm.antiAffinityGroup;
    if (g) to.groups.set(g, to.groups.get(g)! - 1);
    if (to.vms.length === 0 && to.fc <= 1e-9) empty.push(to);
    else listOf(to).insert(to);
    from.inFlight -= 1;
  };
  /** Commits a placed move: the source sheds the VM, the plan gets the action. */
  const commit = (c: ConsolidateVm, from: HostState, to: HostState, reason: string): void => {
    const p = fc.get(c)!;
    if (from.listed) listOf(from).remove(from); // a source is no target this cycle
    from.vms = from.vms.filter((x) => x !== c);
    from.fc -= p;
    from.role = 'source';
    const g = c.vm.antiAffinityGroup;
    if (g) from.groups.set(g, from.groups.get(g)! - 1);
    to.role = 'target';
    out.push({
      kind: 'migrate',
      vmId: c.vm.id,
      from: from.view.name,
      to: to.view.name,
      vmnetMiB: c.trafficMiB,
      estimatedS: c.timeS,
      reason: `${reason}; ${to.view.name} forecast CPU ${f1(pct(to))}, RAM ${f1(to.ram)} MiB after the move`,
    });
    note(c, `migrate to ${to.view.name}: ${reason}`);
  };

  // 1. Overloaded hosts (forecast above high): shed the smallest-memory VMs first.
  const overloaded = [...hosts.values()].filter((h) => !h.unknown && h.fc > h.limit).sort((a, b) => pct(b) - pct(a) || a.index - b.index);
  for (const h of overloaded) {
    const order = [...h.vms].sort((a, b) => a.vm.memoryMiB - b.vm.memoryMiB || byId(a, b));
    for (const c of order) {
      if (h.fc <= h.limit || out.length >= budget) break;
      if (c.blocked) {
        note(c, `not moved off overloaded ${h.view.name}: ${c.blocked}`);
        continue;
      }
      if (cap > 0 && h.inFlight >= cap) break;
      const before = pct(h);
      const to = bestTarget(c, h, true);
      if (!to) {
        note(c, `not moved off overloaded ${h.view.name}: no target fits`);
        continue;
      }
      place(c, h, to);
      commit(c, h, to, `${h.view.name} forecast CPU ${f1(before)} > high ${f1(s.high)}: minimum migration time`);
    }
  }

  // 2. Evacuate hosts, smallest capacity first, then least loaded; all or nothing.
  const candidates = [...hosts.values()]
    .filter((h) => h.vms.length > 0 && !h.unknown && h.role === 'none')
    .sort((a, b) => a.view.vcpus - b.view.vcpus || a.fc - b.fc || a.index - b.index);
  let work = 0;
  const workLimit = 4 * movable.length + 64;
  for (const h of candidates) {
    if (out.length >= budget || work >= workLimit) break;
    if (h.role !== 'none' || out.length + h.vms.length > budget) continue;
    if (h.vms.some((c) => c.blocked)) continue; // hysteresis: a VM in cooldown (just received or sent) pins its host
    if (cap > 0 && h.inFlight + h.vms.length > cap) continue;
    const wasListed = h.listed;
    if (wasListed) listOf(h).remove(h);
    h.role = 'source'; // not a target of its own VMs
    const order = [...h.vms].sort((a, b) => fc.get(b)! - fc.get(a)! || byId(a, b));
    const placed: Array<[ConsolidateVm, HostState]> = [];
    for (const c of order) {
      work += 1;
      const to = bestTarget(c, h, false);
      if (!to) break;
      place(c, h, to);
      placed.push([c, to]);
    }
    if (placed.length < order.length) {
      for (let i = placed.length - 1; i >= 0; i--) unplace(placed[i]![0], h, placed[i]![1]);
      h.role = 'none';
      if (wasListed) listOf(h).insert(h);
      continue;
    }
    const reason = `evacuate ${h.view.name} (forecast CPU ${f1(pct(h))}): all ${placed.length} VM(s) fit elsewhere`;
    for (const [c, to] of placed) commit(c, h, to, reason);
  }
  return out;
}
