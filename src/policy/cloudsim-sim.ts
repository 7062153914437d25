/**
 * `--accounting cloudsim`: the PlanetLab scenario as CloudSim 4.0's power examples run it, event by event
 * (../shared/docs/simulation-model.md): updates at t = 0.1 + 300k and at every migration completion,
 * migration time RAM / 62.5 s with 0.9 × the VM's share on the source and a 0.1 reservation on the target,
 * the target's SLA time, hosts at zero utilisation drawing nothing, and the quirk that removes for good a
 * VM whose demand is exactly 0 at an update. The first interval (0 → 300.1 s) costs nothing, as in CloudSim
 * (no host has been updated yet).
 *
 * One interface for every policy (`ClusterPolicy`): `dvfs` (no migrations), the baselines (PABFD), and the
 * core's modes (paper, safe, consolidate) through `decide()` on a `ClusterSnapshot` of the same state.
 * A planned move the datacenter cannot apply is refused and counted with its reason, and so is every
 * later move of that plan that involves a host the refused move involved (the plan assumed it happened).
 *
 * RAM against capacity (`RamModel`, `ramModel` option): `requested` is CloudSim's own semantics (a VM
 * requests RAM utilisation × RAM = 0 MB on a migration target, since the examples give RAM
 * `UtilizationModelNull`, so RAM never limits a migration); `allocated` charges every VM its full RAM on
 * whichever host it is on (Nova's and the lab's meaning). The model applies alike to the baselines' PABFD,
 * to what the core's modes see in their snapshot (`ramReservedMiB`, host `ramPct`) and to the check
 * every planned move passes before it is applied.
 */
import { findHostForVm, makeSelector, optimizeBaseline, PlanState, type BaselineSpec, type PlannedMove } from './baselines.js';
import {
  HOST_BW,
  HOST_RAM_MB,
  intervalEnergy,
  makeHosts,
  ramNeed,
  ramOnHost,
  type RamModel,
  makeVms,
  migrationTimeS,
  newTotals,
  updateHost,
  VM_BW,
  type SimHost,
  type SimVm,
  type Totals,
} from './cloudsim-model.js';
import { decide } from './decide.js';
import type { ClusterSnapshot, HostView, PlanAction, VmState, VmView } from './interfaces.js';
import type { PolicySettings } from './settings.js';
import type { TraceSet } from './traces.js';

export type ClusterPolicy =
  | { readonly kind: 'dvfs' }
  | { readonly kind: 'baseline'; readonly spec: BaselineSpec }
  | { readonly kind: 'core'; readonly settings: PolicySettings };

export interface AuditMigration {
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  /** Target's CPU (requested MIPS / capacity, %) and RAM (reserved MB / 4096, %) once the move is planned. */
  readonly targetCpuPct: number;
  readonly targetRamPct: number;
  readonly reason: string;
}
export interface AuditRefusal {
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}
export interface AuditStep {
  readonly t: number;
  readonly migrations: readonly AuditMigration[];
  readonly refused: readonly AuditRefusal[];
  /** VMs whose CREATE the core asked for at this step (counted, not applied in a replay). */
  readonly creates: readonly string[];
  /** Per host with VMs: CPU % (requested / capacity), RAM % (reserved / 4096), VM count, before the step's moves. */
  readonly hosts: ReadonlyArray<{ readonly name: string; readonly cpuPct: number; readonly ramPct: number; readonly vms: number }>;
  /** Per VM moved or refused: the snapshot facts a reader needs to check the safeguards. */
  readonly vms?: ReadonlyArray<{
    readonly id: string;
    readonly cpuPct: number;
    readonly antiAffinityGroup?: string;
    readonly cooldownUntil?: number;
  }>;
}

export interface CloudSimResult {
  readonly accounting: 'cloudsim';
  readonly policy: string;
  readonly ramModel: RamModel;
  readonly vms: number;
  readonly hosts: number;
  readonly unplaced: number;
  readonly migrations: number;
  readonly refused: number;
  readonly refusedReasons: Readonly<Record<string, number>>;
  /** The core's CREATE requests (state 3): counted, not applied in a replay. 0 for the baselines and DVFS. */
  readonly creates: number;
  readonly energyKWh: number;
  readonly slatah: number;
  readonly pdm: number;
  readonly slav: number;
  readonly esv: number;
  readonly removedVms: number;
  readonly powerClamps: number;
  readonly activeHosts: readonly number[];
  readonly migrationsPerStep: readonly number[];
  readonly audit?: readonly AuditStep[];
  /** Per-decision times (ms) of the policy, one per scheduling interval. */
  readonly decisionMs: readonly number[];
}

export interface CloudSimOptions {
  readonly policy: ClusterPolicy;
  /** @default 800 */
  readonly hosts?: number;
  /** Record the per-step audit. @default false */
  readonly audit?: boolean;
  /** Simulation limit, s. @default 86,400 */
  readonly limitS?: number;
  /** What a VM's RAM demand is when a target is checked. @default 'requested' (CloudSim's) */
  readonly ramModel?: RamModel;
}

export function policyName(p: ClusterPolicy): string {
  if (p.kind === 'dvfs') return 'dvfs';
  if (p.kind === 'baseline') return `${p.spec.detector}-${p.spec.selection}-${p.spec.parameter}`;
  return p.settings.mode;
}

/** Initial placement at t = 0 (VMs request their full MIPS, RAM and BW while being instantiated). */
function place(vms: SimVm[], hosts: SimHost[], policy: ClusterPolicy): number {
  const ram = new Float64Array(hosts.length);
  const bw = new Float64Array(hosts.length);
  const plan = new PlanState(hosts);
  const excluded = new Uint8Array(hosts.length);
  let unplaced = 0;
  const fitsRamBw = (v: SimVm) => (h: SimHost) => ram[h.id]! + v.ramMb <= HOST_RAM_MB && bw[h.id]! + VM_BW <= HOST_BW;
  for (const v of vms) {
    let to: SimHost | null;
    // The VMs placed before request 0 MIPS (no cloudlet yet): the detector sees the new VM alone.
    if (policy.kind === 'baseline') to = findHostForVm(policy.spec, plan, v, excluded, fitsRamBw(v), true);
    else {
      const fits = fitsRamBw(v);
      to = hosts.find((h) => h.peMips >= v.req && plan.alloc(h).available >= v.req && fits(h)) ?? null;
    }
    if (!to) {
      unplaced += 1;
      v.removed = true;
      continue;
    }
    plan.add(to, v);
    ram[to.id]! += v.ramMb;
    bw[to.id]! += VM_BW;
    to.vms.push(v);
    v.host = to;
  }
  return unplaced;
}

const reqOf = (h: SimHost): number => h.vms.reduce((a, v) => a + v.req, 0);
/** History samples the core gets per VM (its forecast uses the last 10). */
const HISTORY_FOR_CORE = 10;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The core's view of the engine's state at an update (decide() is the same function `policy run` calls). */
function snapshotOf(
  hosts: readonly SimHost[],
  t: number,
  memory: { lastState: Record<string, VmState>; cooldownUntil: Record<string, number> },
  s: PolicySettings,
  ramModel: RamModel,
): ClusterSnapshot {
  const now = Math.round(t * 1000);
  const window = Math.max(1, Math.round(s.intervalS / 300));
  const hostViews: HostView[] = [];
  const vms: VmView[] = [];
  for (const h of hosts) {
    let req = 0;
    for (const v of h.vms) {
      req += v.req;
      if (h.migratingIn.has(v)) continue;
      const cpu = (v.req / v.mips) * 100;
      const n = Math.min(window, v.history.length);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += v.history[i]!;
      const avg = n > 0 ? (sum / n) * 100 : cpu;
      // The forecast's samples, oldest first (the history is newest first).
      const k = Math.min(HISTORY_FOR_CORE, v.history.length);
      const hist = new Array<number>(k);
      for (let i = 0; i < k; i++) hist[i] = v.history[k - 1 - i]! * 100;
      vms.push({
        id: v.id,
        host: h.name,
        cpuPct: cpu,
        ramPct: cpu,
        cpuAvgPct: avg,
        ramAvgPct: avg,
        cpuHistoryPct: hist,
        netBytesPerS: 0,
        dirtyBytesPerS: 0.1 * 62.5e6,
        vcpus: v.mips / 100,
        memoryMiB: v.ramMb,
        ramReservedMiB: ramNeed(v, ramModel),
        sampledAt: now,
        createdByJob: false,
        migrating: v.target !== null,
      });
    }
    hostViews.push({
      name: h.name,
      usable: true,
      vcpus: h.mips / 100,
      memoryMiB: HOST_RAM_MB,
      cpuPct: (req / h.mips) * 100,
      ramPct: (ramOnHost(h, ramModel) / HOST_RAM_MB) * 100,
      migrationBytesPerS: 62.5e6,
      migrationsInFlight: h.migratingIn.size,
    });
  }
  // decide() does not mutate its input: the memory is passed as it is, not copied.
  return { now, hosts: hostViews, vms, memory, lbReachable: true };
}

interface CoreApplied {
  moves: PlannedMove[];
  refused: AuditRefusal[];
}

/** Turns the core's migrate actions into moves the datacenter can apply; refuses the rest, with reasons. */
function applyCorePlan(
  actions: readonly PlanAction[],
  hosts: readonly SimHost[],
  byName: Map<string, SimHost>,
  byId: Map<string, SimVm>,
  ramModel: RamModel,
): CoreApplied {
  const ram = new Float64Array(hosts.length);
  for (const h of hosts) ram[h.id] = ramOnHost(h, ramModel);
  const planned = new Set<SimVm>();
  const tainted = new Set<number>();
  const moves: PlannedMove[] = [];
  const refused: AuditRefusal[] = [];
  for (const a of actions) {
    if (a.kind !== 'migrate') continue;
    const v = byId.get(a.vmId);
    const to = byName.get(a.to);
    const from = v?.host;
    let why: string | undefined;
    if (!v || !from || v.removed) why = 'VM no longer exists';
    else if (!to) why = `no host ${a.to}`;
    else if (v.target !== null || planned.has(v)) why = 'VM already migrating';
    else if (tainted.has(from.id) || tainted.has(to.id)) why = 'depends on a refused move (the plan assumed it happened)';
    else if (ram[to.id]! + ramNeed(v, ramModel) > HOST_RAM_MB)
      why = `target RAM would be ${ram[to.id]! + ramNeed(v, ramModel)} MB > ${HOST_RAM_MB} MB (${ramModel} RAM)`;
    if (why) {
      refused.push({ vm: a.vmId, from: a.from, to: a.to, reason: why });
      if (from) tainted.add(from.id);
      if (to) tainted.add(to.id);
      continue;
    }
    ram[to!.id]! += ramNeed(v!, ramModel);
    planned.add(v!);
    moves.push({ vm: v!, to: to!, reason: a.reason });
  }
  return { moves, refused };
}

export function simulateCloudSim(traces: TraceSet, o: CloudSimOptions): CloudSimResult {
  const nHosts = o.hosts ?? 800;
  const limit = o.limitS ?? 86_400;
  const hosts = makeHosts(nHosts);
  const vms = makeVms(traces.vms);
  const policy = o.policy;
  const ramModel = o.ramModel ?? 'requested';
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const unplaced = place(vms, hosts, policy);
  const byId = new Map(vms.map((v) => [v.id, v]));
  const totals: Totals = newTotals();
  const select = policy.kind === 'baseline' ? makeSelector(policy.spec) : null;
  const memory = { lastState: {} as Record<string, VmState>, cooldownUntil: {} as Record<string, number> };
  const refusedReasons: Record<string, number> = {};
  const audit: AuditStep[] = [];
  const activeHosts: number[] = [];
  const migrationsPerStep: number[] = [];
  const decisionMs: number[] = [];
  let migrations = 0;
  let creates = 0;
  let refusedCount = 0;
  let last = 0;

  const updateAll = (t: number): void => {
    const dt = t - last;
    for (const h of hosts) updateHost(h, t, totals);
    if (dt > 0) for (const h of hosts) totals.energyWs += intervalEnergy(h, dt, totals);
    for (const h of hosts) {
      for (let i = h.vms.length - 1; i >= 0; i--) {
        const v = h.vms[i]!;
        if (v.target === null && v.req === 0) {
          h.vms.splice(i, 1);
          v.removed = true;
          v.host = null;
          totals.removedVms += 1;
        }
      }
    }
    last = t;
  };

  for (let t = 0.1 + 300; t <= limit; t += 300) {
    updateAll(t);
    activeHosts.push(hosts.reduce((a, h) => a + (h.utilMips > 0 ? 1 : 0), 0));
    let moves: PlannedMove[] = [];
    let refused: AuditRefusal[] = [];
    const created: string[] = [];
    const t0 = performance.now();
    if (policy.kind === 'baseline') moves = optimizeBaseline(policy.spec, hosts, select!, ramModel);
    else if (policy.kind === 'core') {
      const snap = snapshotOf(hosts, t, memory, policy.settings, ramModel);
      const plan = decide(snap, policy.settings);
      for (const d of plan.decisions) if (d.state !== 'skipped') memory.lastState[d.vmId] = d.state;
      ({ moves, refused } = applyCorePlan(plan.actions, hosts, byName, byId, ramModel));
      // After a migration or a CREATE (not applied in a replay), the VM goes into cooldown, as the job puts it.
      for (const m of moves) memory.cooldownUntil[m.vm.id] = snap.now + policy.settings.cooldownS * 1000;
      for (const a of plan.actions) {
        if (a.kind !== 'create') continue;
        created.push(a.likeVmId);
        memory.cooldownUntil[a.likeVmId] = snap.now + policy.settings.cooldownS * 1000;
      }
      creates += created.length;
    }
    decisionMs.push(performance.now() - t0);
    const hostsBefore = o.audit
      ? hosts
          .filter((h) => h.vms.length > 0)
          .map((h) => ({
            name: h.name,
            cpuPct: round1((reqOf(h) / h.mips) * 100),
            ramPct: round1((ramOnHost(h, ramModel) / HOST_RAM_MB) * 100),
            vms: h.vms.length,
          }))
      : [];
    // Issue: the VM goes on the target's list with a 0.1 reservation; both hosts are updated at once.
    const issued: Array<{ vm: SimVm; to: SimHost; at: number }> = [];
    const auditMoves: AuditMigration[] = [];
    for (const m of moves) {
      const v = m.vm;
      const from = v.host!;
      // A VM planned twice in one cycle (placed on an over-utilised host's target, which is then evacuated)
      // migrates twice, as in CloudSim: reserved on both targets, it ends on the second.
      v.target = m.to;
      v.pending += 1;
      m.to.vms.push(v);
      m.to.migratingIn.add(v);
      updateHost(m.to, t, totals);
      updateHost(from, t, totals);
      migrations += 1;
      issued.push({ vm: v, to: m.to, at: t + migrationTimeS(v.ramMb) });
      if (o.audit)
        auditMoves.push({
          vm: v.id,
          from: from.name,
          to: m.to.name,
          targetCpuPct: round1((reqOf(m.to) / m.to.mips) * 100),
          targetRamPct: round1((ramOnHost(m.to, ramModel) / HOST_RAM_MB) * 100),
          reason: m.reason,
        });
    }
    for (const r of refused) {
      refusedCount += 1;
      const key = r.reason.replace(/[0-9.]+ MB/g, 'N MB');
      refusedReasons[key] = (refusedReasons[key] ?? 0) + 1;
    }
    migrationsPerStep.push(issued.length);
    if (o.audit) {
      const touched = new Set([...auditMoves.map((m) => m.vm), ...refused.map((r) => r.vm)]);
      audit.push({
        t,
        migrations: auditMoves,
        refused,
        creates: created,
        hosts: hostsBefore,
        vms: [...touched].map((id) => {
          const v = byId.get(id)!;
          return { id, cpuPct: round1((v.req / v.mips) * 100), ...(memory.cooldownUntil[id] ? { cooldownUntil: memory.cooldownUntil[id] } : {}) };
        }),
      });
    }
    // Completions, in time order (stable): update first (if time passed), complete, and after the last
    // completion at one instant, update again.
    issued.sort((a, b) => a.at - b.at);
    for (let i = 0; i < issued.length; i++) {
      const { vm, to, at } = issued[i]!;
      if (at > limit) break;
      if (at > last) updateAll(at);
      const from = vm.host!;
      from.vms.splice(from.vms.indexOf(vm), 1);
      to.vms.splice(to.vms.indexOf(vm), 1);
      to.migratingIn.delete(vm);
      to.vms.push(vm);
      vm.host = to;
      vm.ramHeld = ramNeed(vm, ramModel);
      vm.pending -= 1;
      if (vm.pending === 0) vm.target = null;
      if (i === issued.length - 1 || issued[i + 1]!.at !== at) updateAll(at);
    }
  }
  const slatah = totals.activeS > 0 ? totals.slaViolationS / totals.activeS : 0;
  const pdm = totals.vmRequested > 0 ? totals.vmUnderMigration / totals.vmRequested : 0;
  const energyKWh = totals.energyWs / 3.6e6;
  return {
    accounting: 'cloudsim',
    policy: policyName(policy),
    ramModel,
    vms: vms.length,
    hosts: nHosts,
    unplaced,
    migrations,
    refused: refusedCount,
    refusedReasons,
    creates,
    energyKWh,
    slatah,
    pdm,
    slav: slatah * pdm,
    esv: energyKWh * slatah * pdm,
    removedVms: totals.removedVms,
    powerClamps: totals.powerClamps,
    activeHosts,
    migrationsPerStep,
    decisionMs,
    ...(o.audit ? { audit } : {}),
  };
}
