/**
 * Trace replay through the same `decide()` core, on the `planetlab-800` scenario of CloudSim 4.0's power
 * examples (/work/shared/docs/simulation-model.md), with Beloglazov & Buyya (2012) metrics.
 *
 * Replicated: 800 hosts alternating HP ML110 G4 (2×1860 MIPS) / G5 (2×2660 MIPS), 4096 MB RAM, 1 Gbit/s;
 * VM types by `i / ceil(N/4)` (2500/870, 2000/1740, 1000/1740, 500/613 MIPS/MB); 300 s steps over 86,400 s;
 * demand = trace % × VM MIPS; CPU shared proportionally when a host is over-subscribed; SPECpower
 * tables with linear interpolation; energy per host per step (P(u_start)+P(u_end))/2 × Δt, 0 when
 * the host holds no VM; SLATAH, PDM, SLAV and ESV as ratios of totals (CloudSim's Helper).
 *
 * Departures (stated so the figures are read correctly):
 * - Initial placement is first-fit in host-id order by nominal MIPS (PE cap) and RAM, not PABFD.
 * - The policy is the core's (`decide()`); the baselines run under `--accounting cloudsim` only
 *   (cloudsim-sim.ts). State 3's CREATE cannot be honoured in a replay: counted, not applied.
 * - Migration time comes from the pre-copy model (`precopy`: textbook or fitted to the lab's migrations; RAM,
 *   dirty rate = `dirtyRatio` × bandwidth, half of the 1 Gbit/s link as in CloudSim), not RAM/62.5 s; during it the VM gets 90 % of its demand (PDM).
 *   The 10 % reservation on the target is not modelled. A migration ends within its step.
 * - The "demand exactly 0 removes the VM for good" quirk is not replicated: VMs live the whole day.
 * - The traces have no RAM: a VM's RAM % is set equal to its CPU %, so both readings of "RAM||CPU"
 *   reduce to the CPU trace; hosts still reserve each VM's full RAM.
 */
import { decide } from './decide.js';
import type { ClusterSnapshot, HostView, VmState, VmView } from './interfaces.js';
import { estimateMigration, TEXTBOOK, type PrecopyModel } from './precopy.js';
import type { PolicySettings } from './settings.js';
import type { TraceSet } from './traces.js';

export const SCENARIOS = ['planetlab-800'] as const;
export type Scenario = (typeof SCENARIOS)[number];

const G4 = [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117];
const G5 = [93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135];
const VM_TYPES: ReadonlyArray<{ mips: number; ramMb: number }> = [
  { mips: 2500, ramMb: 870 },
  { mips: 2000, ramMb: 1740 },
  { mips: 1000, ramMb: 1740 },
  { mips: 500, ramMb: 613 },
];
const HOST_RAM_MB = 4096;
/** CloudSim's migration bandwidth: half of the 1 Gbit/s host link, in bytes/s (62.5 MB/s). */
const MIGRATION_BYTES_PER_S = 62.5e6;
const MIB = 1024 * 1024;

/** SPECpower interpolation, u in [0, 1]. */
export function specPower(table: readonly number[], u: number): number {
  const x = Math.min(1, Math.max(0, u)) * 10;
  const lo = Math.floor(x);
  if (lo >= 10) return table[10]!;
  return table[lo]! + (table[lo + 1]! - table[lo]!) * (x - lo);
}

export interface SimulateOptions {
  readonly settings: PolicySettings;
  /** @default 800 */
  readonly hosts?: number;
  /** Dirty rate as a fraction of the migration bandwidth, for the pre-copy model. @default 0.1 */
  readonly dirtyRatio?: number;
  /**
   * The pre-copy model for migration times (and for the core's traffic estimates). The simulated VMs' memory
   * is all resident and all of it may be dirtied (the traces say nothing of either).
   * @default the textbook model
   */
  readonly precopy?: PrecopyModel;
  /** Keep the per-step figures (hosts active, migrations). @default true */
  readonly keepSeries?: boolean;
}

export interface SimulationResult {
  readonly scenario: Scenario;
  readonly mode: PolicySettings['mode'];
  readonly vms: number;
  readonly hosts: number;
  readonly steps: number;
  readonly migrations: number;
  /** Planned moves that could not be applied (counted with their reason, never silently dropped). */
  readonly refused: number;
  readonly refusedReasons: Readonly<Record<string, number>>;
  readonly totalMigrationS: number;
  readonly meanMigrationS: number;
  readonly creates: number;
  readonly terms: number;
  readonly energyKWh: number;
  /** SLA violation Time per Active Host (ratio of totals). */
  readonly slatah: number;
  /** Performance Degradation due to Migrations. */
  readonly pdm: number;
  readonly slav: number;
  readonly esv: number;
  /** Hosts holding at least one VM, per step. */
  readonly activeHosts: readonly number[];
  /** Migrations started, per step. */
  readonly migrationsPerStep: readonly number[];
  readonly unplaced: number;
}

interface SimHost {
  readonly id: number;
  readonly name: string;
  readonly mips: number;
  readonly peMips: number;
  readonly power: readonly number[];
  ramUsed: number;
  mipsNominal: number;
}

export function simulatePlanetLab(traces: TraceSet, o: SimulateOptions): SimulationResult {
  const precopy = o.precopy ?? o.settings.precopy ?? TEXTBOOK;
  const s = { ...o.settings, precopy };
  const nHosts = o.hosts ?? 800;
  const dirtyRatio = o.dirtyRatio ?? 0.1;
  const steps = Math.min(...traces.vms.map((v) => v.cpu.length));
  const dt = traces.stepS;
  const hosts: SimHost[] = Array.from({ length: nHosts }, (_, id) => {
    const g5 = id % 2 === 1;
    return { id, name: `host-${id}`, mips: g5 ? 5320 : 3720, peMips: g5 ? 2660 : 1860, power: g5 ? G5 : G4, ramUsed: 0, mipsNominal: 0 };
  });
  const perType = Math.ceil(traces.vms.length / 4);
  const vms = traces.vms.map((t, i) => ({ trace: t, id: t.id, type: VM_TYPES[Math.min(3, Math.floor(i / perType))]!, host: -1 }));

  // Initial placement: first fit in host-id order by nominal MIPS, PE cap and RAM.
  let unplaced = 0;
  for (const v of vms) {
    const h = hosts.find((x) => v.type.mips <= x.peMips && x.mipsNominal + v.type.mips <= x.mips && x.ramUsed + v.type.ramMb <= HOST_RAM_MB);
    if (!h) {
      unplaced += 1;
      continue;
    }
    v.host = h.id;
    h.mipsNominal += v.type.mips;
    h.ramUsed += v.type.ramMb;
  }
  const placed = vms.filter((v) => v.host >= 0);

  const lastState: Record<string, VmState> = {};
  const cooldownUntil: Record<string, number> = {};
  const history = new Map<string, number[]>();
  const window = Math.max(1, Math.round(s.intervalS / dt));
  const activeHosts: number[] = [];
  const migrationsPerStep: number[] = [];
  let migrations = 0;
  let refused = 0;
  const refusedReasons: Record<string, number> = {};
  let totalMigrationS = 0;
  let creates = 0;
  let terms = 0;
  let energyWs = 0;
  let violationS = 0;
  let activeS = 0;
  let requestedMipsS = 0;
  let migrationLossMipsS = 0;
  const bandwidth = MIGRATION_BYTES_PER_S;

  const demandAt = (v: (typeof placed)[number], k: number): number => (v.trace.cpu[Math.min(k, steps - 1)]! / 100) * v.type.mips;

  for (let k = 0; k < steps; k++) {
    const now = k * dt * 1000;
    // Host demand at the start and end of this step, with the current placement.
    const reqStart = new Float64Array(nHosts);
    const reqEnd = new Float64Array(nHosts);
    const count = new Int32Array(nHosts);
    for (const v of placed) {
      reqStart[v.host]! += demandAt(v, k);
      reqEnd[v.host]! += demandAt(v, k + 1);
      count[v.host]! += 1;
      const h = history.get(v.id) ?? [];
      h.push(v.trace.cpu[k]!);
      if (h.length > window) h.shift();
      history.set(v.id, h);
    }
    let active = 0;
    for (const h of hosts) {
      if (count[h.id] === 0) continue;
      active += 1;
      activeS += dt;
      const u0 = reqStart[h.id]! / h.mips;
      const u1 = reqEnd[h.id]! / h.mips;
      energyWs += ((specPower(h.power, u0) + specPower(h.power, u1)) / 2) * dt;
      // Over-subscribed for the part of the step where demand > capacity (linear in between).
      if (u0 > 1 && u1 > 1) violationS += dt;
      else if (u0 > 1 || u1 > 1) violationS += (dt * (Math.max(u0, u1) - 1)) / Math.abs(u1 - u0);
    }
    activeHosts.push(active);
    for (const v of placed) requestedMipsS += ((demandAt(v, k) + demandAt(v, k + 1)) / 2) * dt;

    // One decision per step, through the same core.
    const hostViews: HostView[] = hosts.map((h) => ({
      name: h.name,
      usable: true,
      vcpus: h.mips / 100,
      memoryMiB: HOST_RAM_MB,
      cpuPct: (Math.min(reqStart[h.id]!, h.mips) / h.mips) * 100,
      ramPct: (h.ramUsed / HOST_RAM_MB) * 100,
      migrationBytesPerS: bandwidth,
      migrationsInFlight: 0,
    }));
    const vmViews: VmView[] = placed.map((v) => {
      const cpu = v.trace.cpu[k]!;
      const h = history.get(v.id)!;
      const avg = h.reduce((a, x) => a + x, 0) / h.length;
      return {
        id: v.id,
        host: hosts[v.host]!.name,
        cpuPct: cpu,
        ramPct: cpu,
        cpuAvgPct: avg,
        ramAvgPct: avg,
        netBytesPerS: 0,
        dirtyBytesPerS: dirtyRatio * bandwidth,
        vcpus: v.type.mips / 100,
        memoryMiB: v.type.ramMb,
        sampledAt: now,
        createdByJob: false,
        migrating: false,
      };
    });
    const snap: ClusterSnapshot = {
      now,
      hosts: hostViews,
      vms: vmViews,
      memory: { lastState: { ...lastState }, cooldownUntil: { ...cooldownUntil } },
      lbReachable: true,
    };
    const plan = decide(snap, s);
    for (const d of plan.decisions) if (d.state !== 'skipped') lastState[d.vmId] = d.state;
    let started = 0;
    const tainted = new Set<number>();
    const byId = new Map(placed.map((v) => [v.id, v]));
    for (const a of plan.actions) {
      if (a.kind === 'create') {
        // Not applied in a replay, but the VM goes into cooldown as the job puts it (job.ts): it is neither
        // migrated nor used to CREATE again until the cooldown ends.
        creates += 1;
        cooldownUntil[a.likeVmId] = now + s.cooldownS * 1000;
      } else if (a.kind === 'terminate') terms += 1;
      else if (a.kind === 'migrate') {
        const v = byId.get(a.vmId)!;
        const to = Number(a.to.slice('host-'.length));
        const from = hosts[v.host]!;
        const target = hosts[to]!;
        // A move the hosts cannot take is refused and counted, and so is every later move of this plan that
        // involves a host the refused one involved: the plan was computed as if it had happened.
        let why: string | undefined;
        if (tainted.has(from.id) || tainted.has(target.id)) why = 'depends on a refused move (the plan assumed it happened)';
        else if (target.ramUsed + v.type.ramMb > HOST_RAM_MB) why = 'target RAM would exceed 4096 MB';
        if (why) {
          refused += 1;
          refusedReasons[why] = (refusedReasons[why] ?? 0) + 1;
          tainted.add(from.id);
          tainted.add(target.id);
          continue;
        }
        const est = estimateMigration(precopy, {
          memoryBytes: v.type.ramMb * MIB,
          dirtyBytesPerS: dirtyRatio * bandwidth,
          bandwidthBytesPerS: bandwidth,
          downtimeMs: s.downtimeMs,
        });
        const timeS = Math.min(est.timeS, dt);
        migrationLossMipsS += 0.1 * demandAt(v, k) * timeS;
        from.ramUsed -= v.type.ramMb;
        from.mipsNominal -= v.type.mips;
        target.ramUsed += v.type.ramMb;
        target.mipsNominal += v.type.mips;
        v.host = to;
        cooldownUntil[v.id] = now + s.cooldownS * 1000;
        migrations += 1;
        started += 1;
        totalMigrationS += est.timeS;
      }
    }
    migrationsPerStep.push(started);
  }
  const slatah = activeS > 0 ? violationS / activeS : 0;
  const pdm = requestedMipsS > 0 ? migrationLossMipsS / requestedMipsS : 0;
  const energyKWh = energyWs / 3.6e6;
  return {
    scenario: 'planetlab-800',
    mode: s.mode,
    vms: traces.vms.length,
    hosts: nHosts,
    steps,
    migrations,
    refused,
    refusedReasons,
    totalMigrationS,
    meanMigrationS: migrations > 0 ? totalMigrationS / migrations : 0,
    creates,
    terms,
    energyKWh,
    slatah,
    pdm,
    slav: slatah * pdm,
    esv: energyKWh * slatah * pdm,
    activeHosts: o.keepSeries === false ? [] : activeHosts,
    migrationsPerStep: o.keepSeries === false ? [] : migrationsPerStep,
    unplaced,
  };
}

/** A small SVG line plot of hosts active over time (for a person; the study's figures use the report's plotting). */
export function activeHostsSvg(r: SimulationResult, stepS = 300): string {
  const w = 640;
  const h = 240;
  const pad = 40;
  const max = Math.max(1, ...r.activeHosts);
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, r.activeHosts.length - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * v) / max;
  const points = r.activeHosts.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const hours = (r.activeHosts.length * stepS) / 3600;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`,
    `<title>Hosts active over time (${r.scenario}, ${r.mode} mode)</title>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="black"/>`,
    `<text x="${pad}" y="${pad - 8}">active hosts (max ${max})</text>`,
    `<text x="${w - pad}" y="${h - pad + 28}" text-anchor="end">time (h, ${hours.toFixed(0)} h total)</text>`,
    `<text x="${pad - 4}" y="${y(max) + 4}" text-anchor="end">${max}</text>`,
    `<text x="${pad - 4}" y="${h - pad + 4}" text-anchor="end">0</text>`,
    `<polyline fill="none" stroke="steelblue" stroke-width="1.5" points="${points}"/>`,
    '</svg>',
    '',
  ].join('\n');
}
