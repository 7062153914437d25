/**
 * The migration-policy job's pure core: `decide(snapshot, settings) → plan`.
 *
 * No clock (time is `snapshot.now`), no I/O, no mutation of its input. Every VM gets a decision with
 * its reason; actions come out in execution order: weights, then migrations, then CREATE, then drains
 * and TERMs.
 *
 * The W1 migration (paper: "find the VM VMi with the lowest RAM or CPU use; if the host's use with both
 * VMs would exceed 70 migrate one way, otherwise the other") is read as consolidation (A6): VMj (state 1)
 * moves onto VMi's host when that host stays at or under `high` with VMj added; otherwise VMi moves onto
 * VMj's host. VMi is searched on other hosts only (A7). Paper mode checks nothing else; safe mode also
 * requires the target to stay ≤ high on CPU and RAM (with the VM's full memory charged), respects
 * anti-affinity, per-host concurrency, cooldowns and the per-cycle cap, and moves the VMs with the
 * smallest VMnet first. Each planned move updates the projected host use (A8).
 */
import { classifyPaper, classifySafe, type Classification } from './classify.js';
import type { ClusterSnapshot, HostView, MigrationPlan, PlanAction, VmDecision, VmState, VmView } from './interfaces.js';
import { planConsolidation, type ConsolidateVm } from './consolidate.js';
import { estimateMigration, TEXTBOOK } from './precopy.js';
import { UNKNOWN_DIRTY_BETA, validatePolicy, type PolicySettings } from './settings.js';

const MIB = 1024 * 1024;
const f = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** Per-VM figures the migration phase needs. */
interface Candidate {
  readonly vm: VmView;
  readonly index: number;
  readonly state: VmState | null;
  readonly vmnetMiB: number;
  /** Estimated pre-copy traffic (MiB) and time (s), and whether pre-copy converges. */
  readonly trafficMiB: number;
  readonly timeS: number;
  readonly converges: boolean;
  /** Dirty rate / bandwidth. */
  readonly ratio: number;
  readonly cooling: boolean;
  /** This VM's entry in the plan's decisions (its reason gets appended to). */
  readonly decision: { -readonly [K in keyof VmDecision]: VmDecision[K] };
}

/** Mutable projection of one host during planning. */
interface HostProj {
  readonly view: HostView;
  cpu: number;
  ram: number;
  inFlight: number;
  isSource: boolean;
  isTarget: boolean;
  groups: Map<string, number>;
}

function isFiniteVm(vm: VmView): boolean {
  const fin = Number.isFinite;
  return fin(vm.cpuPct) && fin(vm.ramPct) && fin(vm.cpuAvgPct) && fin(vm.ramAvgPct) && fin(vm.netBytesPerS) && fin(vm.memoryMiB) && fin(vm.vcpus);
}

/** Why the core must not act on this VM at all (missing or stale metrics, ...), or undefined. */
function skipReason(vm: VmView, host: HostProj | undefined, now: number, s: PolicySettings): { reason: string; warn: boolean } | undefined {
  if (!isFiniteVm(vm)) return { reason: 'no action: metrics missing or not numbers', warn: true };
  const ageS = (now - vm.sampledAt) / 1000;
  if (ageS > s.staleAfterS) return { reason: `no action: metrics are ${f(ageS)} s old (stale after ${f(s.staleAfterS)} s)`, warn: true };
  if (vm.migrating) return { reason: 'no action: a migration of this VM is in flight', warn: false };
  if (!host) return { reason: `no action: its host ${JSON.stringify(vm.host)} is not in the snapshot`, warn: true };
  return undefined;
}

export function decide(snapshot: ClusterSnapshot, settings: PolicySettings): MigrationPlan {
  const s = validatePolicy(settings);
  // consolidate mode classifies, weights, CREATEs and TERMs as safe mode does; only its migrations differ.
  const safe = s.mode !== 'paper';
  const now = snapshot.now;
  const decisions: VmDecision[] = [];
  const weights: PlanAction[] = [];
  const creates: PlanAction[] = [];
  const ends: PlanAction[] = [];
  const warnings: string[] = [];
  let unknownDirty = 0;

  const hosts = new Map<string, HostProj>();
  for (const h of snapshot.hosts) {
    hosts.set(h.name, { view: h, cpu: h.cpuPct, ram: h.ramPct, inFlight: h.migrationsInFlight, isSource: false, isTarget: false, groups: new Map() });
  }

  const candidates: Candidate[] = [];
  const eligible: Candidate[] = [];
  const createdFor = new Set<string>();

  for (let index = 0; index < snapshot.vms.length; index++) {
    const vm = snapshot.vms[index]!;
    const host = hosts.get(vm.host);
    if (vm.antiAffinityGroup && host) host.groups.set(vm.antiAffinityGroup, (host.groups.get(vm.antiAffinityGroup) ?? 0) + 1);
    const skipped = skipReason(vm, host, now, s);
    if (skipped) {
      decisions.push({ vmId: vm.id, host: vm.host, state: 'skipped', reason: skipped.reason });
      if (skipped.warn) warnings.push(`${vm.id}: ${skipped.reason}`);
      continue;
    }
    if (!host) continue;

    const bandwidth = host.view.migrationBytesPerS ?? s.migrationBytesPerS;
    let dirty = vm.dirtyBytesPerS;
    if (dirty === undefined || !Number.isFinite(dirty)) {
      unknownDirty += 1;
      dirty = UNKNOWN_DIRTY_BETA * bandwidth;
    }
    const beta = s.beta === 'auto' ? dirty / bandwidth : s.beta;
    const vmnetMiB = s.vmnetLimitMiB ?? vm.memoryMiB * beta;
    const netMiB = (vm.netBytesPerS * s.samplePeriodS) / MIB;
    const input = { cpuPct: vm.cpuPct, ramPct: vm.ramPct, cpuAvgPct: vm.cpuAvgPct, ramAvgPct: vm.ramAvgPct, netMiB, vmnetMiB };
    const previous = snapshot.memory.lastState[vm.id];
    const c: Classification = safe ? classifySafe(input, s, previous) : classifyPaper(input, s);
    const coolUntil = snapshot.memory.cooldownUntil[vm.id];
    const cooling = safe && coolUntil !== undefined && coolUntil > now;
    const pre = estimateMigration(s.precopy ?? TEXTBOOK, {
      memoryBytes: vm.memoryMiB * MIB,
      dirtyBytesPerS: dirty,
      bandwidthBytesPerS: bandwidth,
      downtimeMs: s.downtimeMs,
    });
    let reason = c.reason;
    if (vm.dirtyRateSource && vm.dirtyBytesPerS !== undefined) reason += `; dirty rate ${f(vm.dirtyBytesPerS / MIB)} MiB/s (${vm.dirtyRateSource})`;
    if (cooling) reason += `; in cooldown until ${new Date(coolUntil!).toISOString()}`;
    const decision = { vmId: vm.id, host: vm.host, state: c.state ?? ('skipped' as const), reason };
    decisions.push(decision);
    const cand: Candidate = {
      vm,
      index,
      state: c.state,
      vmnetMiB,
      trafficMiB: pre.trafficBytes / MIB,
      timeS: pre.timeS,
      converges: pre.converges,
      ratio: pre.ratio,
      cooling,
      decision,
    };
    candidates.push(cand);
    eligible.push(cand);
    const changed = previous !== c.state;
    switch (c.state) {
      case 0:
        {
          const acts = stateZeroActions(vm, s, snapshot.lbReachable);
          if (acts.length === 0)
            decision.reason +=
              s.mode === 'paper'
                ? '; TERM suppressed: policy.allow_destroy is false'
                : '; reported only (no load balancer to drain it from, or it is unreachable)';
          ends.push(...acts);
        }
        break;
      case 1:
        if (!safe || (vm.lb && changed))
          weights.push({ kind: 'weight', vmId: vm.id, weight: s.w1, lb: vm.lb, reason: `WEIGHT W1 (${s.w1}): ${c.reason}` });
        break;
      case 2:
        if (!safe || (vm.lb && changed))
          weights.push({ kind: 'weight', vmId: vm.id, weight: s.w2, lb: vm.lb, reason: `WEIGHT W2 (${s.w2}): ${c.reason}` });
        break;
      case 3: {
        const group = vm.lb ? `${vm.lb.backend}` : vm.id;
        if (!safe) creates.push({ kind: 'create', likeVmId: vm.id, reason: `CREATE: ${c.reason}` });
        else if (cooling) decision.reason += '; CREATE held: VM in cooldown';
        else if (createdFor.has(group)) decision.reason += `; CREATE held: one already planned for ${group} this cycle`;
        else {
          createdFor.add(group);
          creates.push({ kind: 'create', likeVmId: vm.id, reason: `CREATE: ${c.reason}` });
        }
        break;
      }
      default:
        break;
    }
  }
  if (unknownDirty > 0) {
    warnings.push(
      `dirty rate unknown for ${unknownDirty} VM(s): assumed β = ${UNKNOWN_DIRTY_BETA} (dirty rate = half the migration bandwidth), a conservative estimate`,
    );
  }

  const migrations =
    s.mode === 'consolidate'
      ? planConsolidateMigrations(snapshot, candidates, s)
      : safe
        ? planSafeMigrations(candidates, eligible, hosts, s, snapshot.lbReachable)
        : planPaperMigrations(candidates, eligible, hosts, s);
  return { mode: s.mode, now, decisions, actions: [...weights, ...migrations, ...creates, ...ends], warnings };
}

function stateZeroActions(vm: VmView, s: PolicySettings, lbReachable: boolean): PlanAction[] {
  if (s.mode === 'paper') {
    if (s.allowDestroy) return [{ kind: 'terminate', vmId: vm.id, ip: vm.ip, lb: vm.lb, reason: 'TERM: state 0 (paper mode, allow_destroy)' }];
    return [];
  }
  if (s.allowDestroy && vm.createdByJob) {
    if (vm.lb && !lbReachable) return [];
    return [{ kind: 'terminate', vmId: vm.id, ip: vm.ip, lb: vm.lb, reason: 'TERM: state 0, created by this job, allow_destroy' }];
  }
  if (vm.lb && lbReachable) {
    const why = s.allowDestroy ? 'not created by this job, so never destroyed' : 'allow_destroy is false';
    return [{ kind: 'drain', vmId: vm.id, lb: vm.lb, reason: `drain: state 0 but ${why}` }];
  }
  return [];
}

function cpuShare(vm: VmView, host: HostView): number {
  return (vm.cpuPct * vm.vcpus) / host.vcpus;
}
function ramShare(vm: VmView, host: HostView, full: boolean): number {
  return ((full ? 100 : vm.ramPct) * vm.memoryMiB) / host.memoryMiB;
}

function migrateAction(c: Candidate, to: string, reason: string): PlanAction {
  return { kind: 'migrate', vmId: c.vm.id, from: c.vm.host, to, vmnetMiB: c.trafficMiB, estimatedS: c.timeS, reason };
}

function move(c: Candidate, from: HostProj, to: HostProj, full: boolean): void {
  const cpuOut = cpuShare(c.vm, from.view);
  const ramOut = ramShare(c.vm, from.view, full);
  from.cpu -= cpuOut;
  from.ram -= ramOut;
  to.cpu += cpuShare(c.vm, to.view);
  to.ram += ramShare(c.vm, to.view, full);
  from.inFlight += 1;
  to.inFlight += 1;
  from.isSource = true;
  to.isTarget = true;
  const g = c.vm.antiAffinityGroup;
  if (g) {
    from.groups.set(g, (from.groups.get(g) ?? 1) - 1);
    to.groups.set(g, (to.groups.get(g) ?? 0) + 1);
  }
}

/** Paper mode (A6–A8): every state-1 VM in snapshot order; no safeguards. */
function planPaperMigrations(all: Candidate[], eligible: Candidate[], hosts: Map<string, HostProj>, s: PolicySettings): PlanAction[] {
  const out: PlanAction[] = [];
  /** VMs that moved this cycle, and partners that received one (they stay where they are). */
  const moved = new Set<string>();
  const pinned = new Set<string>();
  // VMs by ascending "RAM or CPU" use (the smaller of the two, A1's "either"); ties keep snapshot order.
  const byUse = [...eligible].sort((a, b) => Math.min(a.vm.cpuPct, a.vm.ramPct) - Math.min(b.vm.cpuPct, b.vm.ramPct) || a.index - b.index);
  for (const j of all) {
    if (j.state !== 1 || moved.has(j.vm.id) || pinned.has(j.vm.id)) continue;
    const i = byUse.find((v) => v.vm.host !== j.vm.host && !moved.has(v.vm.id) && hosts.has(v.vm.host));
    if (!i) {
      j.decision.reason += '; no VMi on another host';
      continue;
    }
    const hi = hosts.get(i.vm.host)!;
    const hj = hosts.get(j.vm.host)!;
    const cpuBoth = hi.cpu + cpuShare(j.vm, hi.view);
    const ramBoth = hi.ram + ramShare(j.vm, hi.view, false);
    const detail = `VMi ${i.vm.id} on ${i.vm.host}: host with both VMs would be CPU ${f(cpuBoth)}, RAM ${f(ramBoth)}`;
    if (cpuBoth > s.high || ramBoth > s.high) {
      if (pinned.has(i.vm.id)) {
        j.decision.reason += `; not migrated: ${detail} > ${f(s.high)} and VMi already received a VM this cycle`;
        continue;
      }
      out.push(migrateAction(i, j.vm.host, `W1 for ${j.vm.id}: ${detail} > ${f(s.high)}, so VMi moves to VMj's host`));
      move(i, hi, hj, false);
      moved.add(i.vm.id);
      pinned.add(j.vm.id);
    } else {
      out.push(migrateAction(j, i.vm.host, `W1: ${detail} <= ${f(s.high)}, so VMj moves to VMi's host`));
      move(j, hj, hi, false);
      moved.add(j.vm.id);
      pinned.add(i.vm.id);
    }
  }
  return out;
}

/** How far safe mode looks down the list of low VMs for a feasible partner. */
const SAFE_PARTNER_SCAN = 64;

function planSafeMigrations(
  all: Candidate[],
  eligible: Candidate[],
  hosts: Map<string, HostProj>,
  s: PolicySettings,
  lbReachable: boolean,
): PlanAction[] {
  const out: PlanAction[] = [];
  if (s.maxMigrationsPerCycle === 0) return out;
  const moved = new Set<string>();
  const pinned = new Set<string>();
  const cap = s.maxConcurrentPerHost;
  const load = (c: Candidate): number => Math.max(c.vm.cpuPct, c.vm.ramPct);
  const byLoad = eligible.filter((c) => c.state === 0 || c.state === 1).sort((a, b) => load(a) - load(b) || a.index - b.index);

  /** Why `c` may not move at all, or undefined. */
  const blocked = (c: Candidate): string | undefined => {
    if (c.cooling) return 'in cooldown';
    if (!c.converges) return `pre-copy would not converge (dirty rate/bandwidth ${f(c.ratio)})`;
    if (s.vmnetLimitMiB !== undefined && c.trafficMiB > s.vmnetLimitMiB)
      return `estimated traffic ${f(c.trafficMiB)} MiB > vmnet.limit_mib ${f(s.vmnetLimitMiB)}`;
    if (c.vm.lb && !lbReachable) return 'the load balancer is unreachable, so its weight cannot be lowered first';
    return undefined;
  };
  /** Why `c` may not move from `from` to `to`, or undefined. */
  const unfit = (c: Candidate, from: HostProj, to: HostProj): string | undefined => {
    if (!to.view.usable) return `target ${to.view.name} is disabled or down`;
    if (from.isTarget) return `${from.view.name} already receives a VM this cycle`;
    if (to.isSource) return `${to.view.name} already sends a VM this cycle`;
    if (cap > 0 && (from.inFlight >= cap || to.inFlight >= cap)) return `max_concurrent (${cap}) migrations per host reached`;
    const cpu = to.cpu + cpuShare(c.vm, to.view);
    const ram = to.ram + ramShare(c.vm, to.view, true);
    if (cpu > s.high || ram > s.high) return `${to.view.name} would be at CPU ${f(cpu)}, RAM ${f(ram)} > ${f(s.high)}`;
    const g = c.vm.antiAffinityGroup;
    if (g && (to.groups.get(g) ?? 0) > 0) return `anti-affinity group ${g} already on ${to.view.name}`;
    return undefined;
  };

  /** Fast boolean forms of `blocked` and `unfit` for the scan; the texts are built once, for the reason. */
  const canMove = (c: Candidate): boolean =>
    !c.cooling && c.converges && (s.vmnetLimitMiB === undefined || c.trafficMiB <= s.vmnetLimitMiB) && (!c.vm.lb || lbReachable);
  const fits = (c: Candidate, from: HostProj, to: HostProj): boolean =>
    to.view.usable &&
    !from.isTarget &&
    !to.isSource &&
    !(cap > 0 && (from.inFlight >= cap || to.inFlight >= cap)) &&
    to.cpu + cpuShare(c.vm, to.view) <= s.high &&
    to.ram + ramShare(c.vm, to.view, true) <= s.high &&
    !(c.vm.antiAffinityGroup && (to.groups.get(c.vm.antiAffinityGroup) ?? 0) > 0);
  const iWhyText = (i: Candidate): string | undefined =>
    pinned.has(i.vm.id) ? `VMi ${i.vm.id} already received a VM` : i.state === 1 ? blocked(i) : `VMi ${i.vm.id} is in state ${i.state}`;

  const js = all.filter((c) => c.state === 1).sort((a, b) => a.trafficMiB - b.trafficMiB || a.index - b.index);
  for (const j of js) {
    if (out.length >= s.maxMigrationsPerCycle) break;
    if (moved.has(j.vm.id) || pinned.has(j.vm.id)) continue;
    const why = blocked(j);
    if (why) {
      j.decision.reason += `; not migrated: ${why}`;
      continue;
    }
    const hj = hosts.get(j.vm.host)!;
    let done = false;
    let last: Candidate | undefined;
    let scanned = 0;
    for (const i of byLoad) {
      if (scanned >= SAFE_PARTNER_SCAN) break;
      if (i === j || i.vm.host === j.vm.host || moved.has(i.vm.id)) continue;
      scanned += 1;
      const hi = hosts.get(i.vm.host)!;
      if (fits(j, hj, hi)) {
        out.push(
          migrateAction(
            j,
            hi.view.name,
            `W1: consolidate onto ${hi.view.name} (host of low VM ${i.vm.id}); VMnet ${f(j.trafficMiB)} MiB, ~${f(j.timeS)} s`,
          ),
        );
        move(j, hj, hi, true);
        moved.add(j.vm.id);
        pinned.add(i.vm.id);
        done = true;
        break;
      }
      if (!pinned.has(i.vm.id) && i.state === 1 && canMove(i) && fits(i, hi, hj)) {
        out.push(
          migrateAction(
            i,
            hj.view.name,
            `W1 for ${j.vm.id}: ${unfit(j, hj, hi)}, so VMi ${i.vm.id} moves to ${hj.view.name}; VMnet ${f(i.trafficMiB)} MiB, ~${f(i.timeS)} s`,
          ),
        );
        move(i, hi, hj, true);
        moved.add(i.vm.id);
        pinned.add(j.vm.id);
        done = true;
        break;
      }
      last = i;
    }
    const lastWhy = last
      ? `${unfit(j, hj, hosts.get(last.vm.host)!)}; ${iWhyText(last) ?? unfit(last, hosts.get(last.vm.host)!, hj)}`
      : 'no VM on another host to pair with';
    if (!done) j.decision.reason += `; not migrated: ${lastWhy}`;
  }
  return out;
}

/** consolidate mode: host-level consolidation (consolidate.ts) over the VMs the core may act on. */
function planConsolidateMigrations(snapshot: ClusterSnapshot, candidates: Candidate[], s: PolicySettings): PlanAction[] {
  // A host with a VM the core may not act on (missing or stale metrics, in flight) has an unknown load.
  const unknownHosts = new Set<string>();
  if (candidates.length < snapshot.vms.length) {
    const known = new Set(candidates.map((c) => c.vm));
    for (const v of snapshot.vms) if (!known.has(v)) unknownHosts.add(v.host);
  }
  const movable: ConsolidateVm[] = candidates.map((c) => {
    let blocked: string | undefined;
    if (c.cooling) blocked = 'in cooldown';
    else if (!c.converges) blocked = `pre-copy would not converge (dirty rate/bandwidth ${f(c.ratio)})`;
    else if (s.vmnetLimitMiB !== undefined && c.trafficMiB > s.vmnetLimitMiB)
      blocked = `estimated traffic ${f(c.trafficMiB)} MiB > vmnet.limit_mib ${f(s.vmnetLimitMiB)}`;
    else if (c.vm.lb && !snapshot.lbReachable) blocked = 'the load balancer is unreachable';
    return { vm: c.vm, trafficMiB: c.trafficMiB, timeS: c.timeS, decision: c.decision, blocked };
  });
  return planConsolidation(snapshot.hosts, movable, unknownHosts, s);
}
