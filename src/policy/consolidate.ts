/**
 * `consolidate` mode's migration planner (pure; called by `decide()`): host-level consolidation that keeps
 * safe mode's promises.
 *
 * - Load of a host = Σ its VMs' CPU shares; its *forecast* = Σ per-VM forecasts, each the larger of the
 *   current value and a tricube-weighted local regression of the VM's recent samples one period ahead
 *   (`cpuHistoryPct`; without history, the larger of current and average). Acting on the forecast moves
 *   VMs before `high` is crossed (the study's "future work").
 * - Overload: a host whose forecast is above `high` sheds VMs, smallest memory first (minimum migration
 *   time), until its forecast is at or under `high`.
 * - Evacuation: hosts are tried least loaded first; a host is emptied only if *every* VM on it can be
 *   placed (all or nothing), otherwise nothing moves. A host holding a VM in cooldown (it received or sent
 *   one recently) is not evacuated: that is the per-host hysteresis.
 * - Placement: best fit (the fullest host that still fits), never on an empty host for an evacuation;
 *   a target must stay ≤ `high` on forecast CPU and its RAM (full reservations) ≤ its capacity, hold no VM of
 *   the same anti-affinity group, be usable, not be evacuated or overloaded this cycle, and be under the
 *   per-host concurrency limit.
 * - Budget: at most max(`max_migrations_per_cycle`, 2 % of the VMs) migrations per cycle.
 * - VMs with missing or stale metrics, or in flight, are never moved, and their host is neither a source
 *   nor a target (its load is unknown).
 */
import { regressionForecast } from './baselines.js';
import type { HostView, PlanAction, VmView } from './interfaces.js';
import type { PolicySettings } from './settings.js';

export interface ConsolidateVm {
  readonly vm: VmView;
  /** Whether the VM may move at all (not cooling, pre-copy converges, LB reachable...), or why not. */
  readonly blocked?: string;
  readonly trafficMiB: number;
  readonly timeS: number;
  readonly note: (text: string) => void;
}

/** Fraction of the VMs that may migrate per cycle (at least `max_migrations_per_cycle`). */
export const BUDGET_FRACTION = 0.02;
/** Samples used by the forecast. */
const FORECAST_SAMPLES = 10;

const f1 = (v: number): string => v.toFixed(1);

export function vmForecastPct(vm: VmView): number {
  const h = vm.cpuHistoryPct;
  if (h && h.length >= 3) {
    const y = h.slice(-FORECAST_SAMPLES);
    const p = regressionForecast(y, 1, 'loess');
    return Math.min(100, Math.max(vm.cpuPct, p ?? 0));
  }
  return Math.max(vm.cpuPct, vm.cpuAvgPct);
}

interface HostState {
  readonly view: HostView;
  vms: ConsolidateVm[];
  load: number;
  forecast: number;
  ram: number;
  inFlight: number;
  unknown: boolean;
  groups: Map<string, number>;
  role: 'none' | 'source' | 'target';
}

export function planConsolidation(
  hostViews: readonly HostView[],
  movable: readonly ConsolidateVm[],
  unknownHosts: ReadonlySet<string>,
  s: PolicySettings,
): PlanAction[] {
  const hosts = new Map<string, HostState>();
  for (const h of hostViews)
    hosts.set(h.name, {
      view: h,
      vms: [],
      load: 0,
      forecast: 0,
      ram: h.ramPct,
      inFlight: h.migrationsInFlight,
      unknown: unknownHosts.has(h.name),
      groups: new Map(),
      role: 'none',
    });
  const share = (vm: VmView, h: HostView, pct: number): number => (pct * vm.vcpus) / h.vcpus;
  const ramShare = (vm: VmView, h: HostView): number => (100 * vm.memoryMiB) / h.memoryMiB;
  const fc = new Map<string, number>();
  for (const c of movable) {
    const h = hosts.get(c.vm.host);
    if (!h) continue;
    h.vms.push(c);
    const p = vmForecastPct(c.vm);
    fc.set(c.vm.id, p);
    h.load += share(c.vm, h.view, c.vm.cpuPct);
    h.forecast += share(c.vm, h.view, p);
    const g = c.vm.antiAffinityGroup;
    if (g) h.groups.set(g, (h.groups.get(g) ?? 0) + 1);
  }
  for (const h of hosts.values()) {
    // Load the VMs do not explain (hypervisor, skipped VMs) stays on the host.
    const rest = Math.max(0, h.view.cpuPct - h.load);
    h.load += rest;
    h.forecast += rest;
  }
  const budget = Math.max(s.maxMigrationsPerCycle, Math.ceil(BUDGET_FRACTION * movable.length));
  const cap = s.maxConcurrentPerHost;
  const out: PlanAction[] = [];

  const fits = (c: ConsolidateVm, to: HostState): string | undefined => {
    if (!to.view.usable) return `${to.view.name} is disabled or down`;
    if (to.unknown) return `${to.view.name} has VMs without metrics`;
    if (to.role === 'source') return `${to.view.name} is a source this cycle`;
    if (cap > 0 && to.inFlight >= cap) return `max_concurrent (${cap}) reached on ${to.view.name}`;
    const cpu = to.forecast + share(c.vm, to.view, fc.get(c.vm.id)!);
    if (cpu > s.high) return `${to.view.name} would be at forecast CPU ${f1(cpu)} > ${f1(s.high)}`;
    const ram = to.ram + ramShare(c.vm, to.view);
    if (ram > 100) return `${to.view.name} would be at RAM ${f1(ram)} > 100 (capacity)`;
    const g = c.vm.antiAffinityGroup;
    if (g && (to.groups.get(g) ?? 0) > 0) return `anti-affinity group ${g} already on ${to.view.name}`;
    return undefined;
  };
  /** Best fit: the target with the highest forecast that still fits; empty hosts only when allowed. */
  const bestTarget = (c: ConsolidateVm, from: HostState, exclude: ReadonlySet<HostState>, allowEmpty: boolean): HostState | undefined => {
    let best: HostState | undefined;
    for (const h of hosts.values()) {
      if (h === from || exclude.has(h) || (!allowEmpty && h.vms.length === 0)) continue;
      if (best && h.forecast <= best.forecast) continue;
      if (fits(c, h) === undefined) best = h;
    }
    return best;
  };
  const apply = (c: ConsolidateVm, from: HostState, to: HostState, reason: string): void => {
    const p = fc.get(c.vm.id)!;
    from.vms = from.vms.filter((x) => x !== c);
    from.load -= share(c.vm, from.view, c.vm.cpuPct);
    from.forecast -= share(c.vm, from.view, p);
    from.ram -= ramShare(c.vm, from.view);
    from.inFlight += 1;
    from.role = 'source';
    to.vms.push(c);
    to.load += share(c.vm, to.view, c.vm.cpuPct);
    to.forecast += share(c.vm, to.view, p);
    to.ram += ramShare(c.vm, to.view);
    to.inFlight += 1;
    to.role = 'target';
    const g = c.vm.antiAffinityGroup;
    if (g) {
      from.groups.set(g, (from.groups.get(g) ?? 1) - 1);
      to.groups.set(g, (to.groups.get(g) ?? 0) + 1);
    }
    out.push({
      kind: 'migrate',
      vmId: c.vm.id,
      from: from.view.name,
      to: to.view.name,
      vmnetMiB: c.trafficMiB,
      estimatedS: c.timeS,
      reason: `${reason}; ${to.view.name} forecast CPU ${f1(to.forecast)}, RAM ${f1(to.ram)} after the move`,
    });
    c.note(`migrate to ${to.view.name}: ${reason}`);
  };

  // 1. Overloaded hosts (forecast above high): shed the smallest-memory VMs first.
  const overloaded = [...hosts.values()].filter((h) => !h.unknown && h.forecast > s.high).sort((a, b) => b.forecast - a.forecast);
  for (const h of overloaded) {
    const order = [...h.vms].sort((a, b) => a.vm.memoryMiB - b.vm.memoryMiB || a.vm.id.localeCompare(b.vm.id));
    for (const c of order) {
      if (h.forecast <= s.high || out.length >= budget) break;
      if (c.blocked) {
        c.note(`not moved off overloaded ${h.view.name}: ${c.blocked}`);
        continue;
      }
      if (cap > 0 && h.inFlight >= cap) break;
      const to = bestTarget(c, h, new Set(), true);
      if (!to) {
        c.note(`not moved off overloaded ${h.view.name}: no target fits`);
        continue;
      }
      apply(c, h, to, `${h.view.name} forecast CPU ${f1(h.forecast)} > high ${f1(s.high)}: minimum migration time`);
    }
  }

  // 2. Evacuate the least loaded hosts, all or nothing.
  const candidates = [...hosts.values()].filter((h) => h.vms.length > 0 && !h.unknown && h.role === 'none').sort((a, b) => a.forecast - b.forecast);
  const evacuated = new Set<HostState>();
  let tried = 0;
  for (const h of candidates) {
    if (out.length >= budget || tried >= 2 * budget) break; // bounded work per cycle
    if (out.length + h.vms.length > budget) continue;
    if (h.role !== 'none') continue;
    if (h.forecast > s.high / 2) continue; // only hosts at most half as loaded as a target may be
    const blocked = h.vms.find((c) => c.blocked);
    if (blocked) continue; // hysteresis: a VM in cooldown (just received or sent) pins its host
    if (cap > 0 && h.inFlight + h.vms.length > cap) continue;
    tried += 1;
    // Trial placement on a copy of the targets' figures: all VMs or none.
    const order = [...h.vms].sort((a, b) => fc.get(b.vm.id)! - fc.get(a.vm.id)! || a.vm.id.localeCompare(b.vm.id));
    const saved = new Map<HostState, [number, number, number, number, number, Map<string, number>]>();
    const placed: Array<[ConsolidateVm, HostState]> = [];
    const exclude = new Set<HostState>([...evacuated, h]);
    let ok = true;
    for (const c of order) {
      const to = bestTarget(c, h, exclude, false);
      if (!to) {
        ok = false;
        break;
      }
      if (!saved.has(to)) saved.set(to, [to.load, to.forecast, to.ram, to.inFlight, to.vms.length, new Map(to.groups)]);
      const p = fc.get(c.vm.id)!;
      to.forecast += share(c.vm, to.view, p);
      to.load += share(c.vm, to.view, c.vm.cpuPct);
      to.ram += ramShare(c.vm, to.view);
      to.inFlight += 1;
      const g = c.vm.antiAffinityGroup;
      if (g) to.groups.set(g, (to.groups.get(g) ?? 0) + 1);
      placed.push([c, to]);
    }
    for (const [to, [load, forecast, ram, inFlight, , groups]] of saved) {
      to.load = load;
      to.forecast = forecast;
      to.ram = ram;
      to.inFlight = inFlight;
      to.groups = groups;
    }
    if (!ok) continue;
    evacuated.add(h);
    for (const [c, to] of placed)
      apply(c, h, to, `evacuate ${h.view.name} (forecast CPU ${f1(h.forecast)}, the least loaded): all ${placed.length} VM(s) fit elsewhere`);
  }
  return out;
}
