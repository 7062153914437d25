/**
 * The state of CloudSim 4.0's power-example datacenter, and its per-update bookkeeping, rewritten from the
 * behaviour described in ../shared/docs/simulation-model.md (own TypeScript, no CloudSim code):
 * - a host's CPU is shared as `VmSchedulerTimeSharedOverSubscription` does (PE cap; over-subscribed: every VM
 *   gets floor(req × hostMIPS / Σreq); a migrating-out VM 0.9 × its share, a migrating-in VM 0.1 × its request);
 * - host utilisation = Σ allocated MIPS, a migrating-out VM counted as allocated / 0.9;
 * - energy per host per update interval: 0 when the utilisation at the interval start is 0, otherwise
 *   (P(u₀) + P(u₁)) / 2 × Δt, with the SPECpower tables;
 * - SLATAH and PDM from the host and VM state histories (ratios of totals, entries at one time replace each
 *   other), accumulated as the entries arrive instead of being stored.
 */

export const G4_POWER = [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117] as const;
export const G5_POWER = [93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135] as const;
export const VM_TYPES: ReadonlyArray<{ readonly mips: number; readonly ramMb: number }> = [
  { mips: 2500, ramMb: 870 },
  { mips: 2000, ramMb: 1740 },
  { mips: 1000, ramMb: 1740 },
  { mips: 500, ramMb: 613 },
];
export const HOST_RAM_MB = 4096;
/** Host link 1 Gbit/s (kbit/s as CloudSim stores it); half of it carries migrations: RAM_MB / 62.5 s. */
export const HOST_BW = 1_000_000;
export const VM_BW = 100_000;
export const migrationTimeS = (ramMb: number): number => ramMb / (HOST_BW / (2 * 8000));
export const INTERVAL_S = 300;

/**
 * What a VM's RAM demand is when a host is checked for it ("RAM against capacity"):
 * - `requested` (CloudSim 4.0's PlanetLab examples): `Vm.getCurrentRequestedRam()` = RAM utilisation × RAM once
 *   the VM exists, and the examples give the cloudlets `UtilizationModelNull` for RAM, so a VM requests 0 MB
 *   when it migrates; `Host.isSuitableForVm` then always passes on RAM. A VM keeps the full RAM it was
 *   created with on its first host until it leaves it.
 * - `allocated` (Nova, the lab, the testbed accounting): a VM holds its full RAM on whichever host it is on,
 *   and a target must have room for all of it.
 */
export type RamModel = 'requested' | 'allocated';
export const RAM_MODELS: readonly RamModel[] = ['requested', 'allocated'];
/** RAM a VM needs on a migration target under `model`. */
export const ramNeed = (v: { readonly ramMb: number }, model: RamModel): number => (model === 'allocated' ? v.ramMb : 0);
/** RAM the provisioner of `host` holds: its VMs' held RAM, a migrating-in VM counted at its need. */
export function ramOnHost(host: SimHost, model: RamModel): number {
  let r = 0;
  for (const v of host.vms) r += host.migratingIn.has(v) ? ramNeed(v, model) : v.ramHeld;
  return r;
}
export const HISTORY_LENGTH = 30;

/** `PowerModelSpecPower.getPower`, same arithmetic (u outside [0, 1] is clamped and counted by the caller). */
export function specPowerCloudSim(table: readonly number[], u: number): number {
  if (u % 0.1 === 0) return table[Math.trunc(u * 10)]!;
  const u1 = Math.floor(u * 10);
  const u2 = Math.ceil(u * 10);
  const p1 = table[u1]!;
  const p2 = table[u2]!;
  return p1 + ((p2 - p1) / 10) * (u - u1 / 10) * 100;
}

/** `UtilizationModelPlanetLabInMemory.getUtilization`: linear between the 5-minute samples. */
export function utilizationAt(data: Float64Array, t: number): number {
  if (t % INTERVAL_S === 0) return data[Math.trunc(t) / INTERVAL_S]!;
  const t1 = Math.floor(t / INTERVAL_S);
  const t2 = Math.ceil(t / INTERVAL_S);
  const u1 = data[t1]!;
  const u2 = data[t2]!;
  return u1 + ((u2 - u1) / ((t2 - t1) * INTERVAL_S)) * (t - t1 * INTERVAL_S);
}

export interface SimVm {
  readonly index: number;
  readonly id: string;
  readonly mips: number;
  readonly ramMb: number;
  /** 289 samples, 0..1 (the last repeated). */
  readonly data: Float64Array;
  /** CPU utilisation history (0..1), newest first, at most HISTORY_LENGTH: one sample per scheduling interval. */
  readonly history: number[];
  host: SimHost | null;
  /** Set while a migration is in flight (the VM is then on both hosts' lists). */
  target: SimHost | null;
  /** Migrations of this VM in flight (2 when CloudSim planned it twice in one cycle). */
  pending: number;
  /**
   * RAM (MB) the host's RAM provisioner holds for this VM on its current host: the full RAM from its
   * creation (a VM being instantiated requests all of it), then what it requests on a migration target
   * (`RamModel`).
   */
  ramHeld: number;
  removed: boolean;
  /** Requested MIPS at `reqAt`. */
  req: number;
  reqAt: number;
  historyAt: number;
  // VM state history, last entry (PDM)
  eT: number;
  eAlloc: number;
  eReq: number;
  eMig: boolean;
}

export interface SimHost {
  readonly id: number;
  readonly name: string;
  readonly mips: number;
  readonly peMips: number;
  readonly power: readonly number[];
  /** In list order (ties of the selection policies go to the first). Migrating-in VMs included. */
  readonly vms: SimVm[];
  readonly migratingIn: Set<SimVm>;
  /** Allocated MIPS at the last update (migrating-out VMs counted / 0.9), and at the update before. */
  utilMips: number;
  prevUtilMips: number;
  /** Allocated MIPS per VM, from the last update or planning change. */
  readonly alloc: Map<SimVm, number>;
  // host state history, last entry (SLATAH)
  eT: number;
  eAlloc: number;
  eReq: number;
  eActive: boolean;
}

export interface Totals {
  energyWs: number;
  slaViolationS: number;
  activeS: number;
  vmRequested: number;
  vmAllocated: number;
  vmUnderMigration: number;
  /** Utilisations above 1.01 that CloudSim's power model would reject (clamped here), counted. */
  powerClamps: number;
  removedVms: number;
}

export function newTotals(): Totals {
  return { energyWs: 0, slaViolationS: 0, activeS: 0, vmRequested: 0, vmAllocated: 0, vmUnderMigration: 0, powerClamps: 0, removedVms: 0 };
}

export function makeHosts(n: number): SimHost[] {
  return Array.from({ length: n }, (_, id) => {
    const g5 = id % 2 === 1;
    return {
      id,
      name: `host-${id}`,
      mips: g5 ? 5320 : 3720,
      peMips: g5 ? 2660 : 1860,
      power: g5 ? G5_POWER : G4_POWER,
      vms: [],
      migratingIn: new Set(),
      utilMips: 0,
      prevUtilMips: 0,
      alloc: new Map(),
      eT: -1,
      eAlloc: 0,
      eReq: 0,
      eActive: true,
    };
  });
}

export function makeVms(traces: ReadonlyArray<{ id: string; cpu: readonly number[] }>): SimVm[] {
  const perType = Math.ceil(traces.length / VM_TYPES.length);
  return traces.map((t, i) => {
    const type = VM_TYPES[Math.min(VM_TYPES.length - 1, Math.floor(i / perType))]!;
    const data = new Float64Array(289);
    for (let k = 0; k < 288; k++) data[k] = (t.cpu[Math.min(k, t.cpu.length - 1)] ?? 0) / 100;
    data[288] = data[287]!;
    return {
      index: i,
      id: t.id,
      mips: type.mips,
      ramMb: type.ramMb,
      data,
      history: [],
      host: null,
      target: null,
      pending: 0,
      ramHeld: type.ramMb,
      removed: false,
      req: type.mips,
      reqAt: -1,
      historyAt: 0,
      eT: -1,
      eAlloc: 0,
      eReq: 0,
      eMig: false,
    };
  });
}

export const isSchedulingTime = (t: number): boolean => (t - 0.1) % INTERVAL_S === 0;

/** `Vm.updateVmProcessing` at time t: the request becomes u(t) × MIPS; once per interval, a history sample. */
export function touchVm(vm: SimVm, t: number): void {
  if (vm.reqAt === t) return;
  vm.reqAt = t;
  const u = utilizationAt(vm.data, t);
  vm.req = u * vm.mips;
  if (t > vm.historyAt && isSchedulingTime(t)) {
    vm.history.unshift(u);
    if (vm.history.length > HISTORY_LENGTH) vm.history.pop();
    vm.historyAt = t;
  }
}

/**
 * The scheduler's allocation of `vms` on `host` (each VM's current request, capped at the PE), as the
 * over-subscription scheduler computes it. Returns Σ allocated and the MIPS still available.
 */
export function allocate(host: SimHost, vms: readonly SimVm[], out: Map<SimVm, number> | null): { sum: number; available: number } {
  let available = host.mips;
  let over = false;
  let required = 0;
  for (const v of vms) {
    const capped = Math.min(v.req, host.peMips);
    const need = host.migratingIn.has(v) ? capped * 0.1 : capped;
    required += need;
    if (!over && available >= need) available -= need;
    else if (need > 0 || over) over = true;
  }
  let sum = 0;
  const f = over ? host.mips / required : 1;
  for (const v of vms) {
    const capped = Math.min(v.req, host.peMips);
    const migIn = host.migratingIn.has(v);
    const migOut = !migIn && v.target !== null;
    let a: number;
    if (!over) a = migOut ? capped * 0.9 : migIn ? capped * 0.1 : capped;
    else a = Math.floor(migOut ? capped * f * 0.9 : migIn ? capped * 0.1 * f : capped * f);
    out?.set(v, a);
    sum += a;
  }
  return { sum, available: over ? 0 : available };
}

/** `HostDynamicWorkload.updateVmsProcessing`: new allocation, utilisation and history entries at time t. */
export function updateHost(host: SimHost, t: number, totals: Totals): void {
  // An empty host already idle and recorded inactive: an update changes nothing the figures read (its
  // energy is 0, its inactive history entry accrues no time), so it is skipped. Most hosts once consolidated.
  if (host.vms.length === 0 && host.utilMips === 0 && host.prevUtilMips === 0 && !host.eActive && host.eT !== -1) return;
  for (const v of host.vms) touchVm(v, t);
  host.prevUtilMips = host.utilMips;
  host.alloc.clear();
  allocate(host, host.vms, host.alloc);
  let util = 0;
  let requested = 0;
  for (const v of host.vms) {
    let a = host.alloc.get(v)!;
    if (!host.migratingIn.has(v)) {
      vmEntry(v, t, a, v.req, v.target !== null, totals);
      if (v.target !== null) a /= 0.9;
    }
    util += a;
    requested += v.req;
  }
  host.utilMips = util;
  hostEntry(host, t, util, requested, util > 0, totals);
}

function vmEntry(v: SimVm, t: number, alloc: number, req: number, mig: boolean, totals: Totals): void {
  if (v.eT !== -1 && v.eT !== t) {
    const dt = t - v.eT;
    totals.vmAllocated += v.eAlloc * dt;
    totals.vmRequested += v.eReq * dt;
    if (v.eAlloc < v.eReq && v.eMig) totals.vmUnderMigration += (v.eReq - v.eAlloc) * dt;
  }
  v.eT = t;
  v.eAlloc = alloc;
  v.eReq = req;
  v.eMig = mig;
}

function hostEntry(h: SimHost, t: number, alloc: number, req: number, active: boolean, totals: Totals): void {
  if (h.eT !== -1 && h.eT !== t && h.eActive) {
    const dt = t - h.eT;
    totals.activeS += dt;
    if (h.eAlloc < h.eReq) totals.slaViolationS += dt;
  }
  h.eT = t;
  h.eAlloc = alloc;
  h.eReq = req;
  h.eActive = active;
}

/** `getUtilizationOfCpu`: utilisation 0..1, with CloudSim's (1, 1.01) → 1 rounding. */
export function cpuUtil(mips: number, host: SimHost): number {
  const u = mips / host.mips;
  return u > 1 && u < 1.01 ? 1 : u;
}

export function hostPower(host: SimHost, u: number, totals: Totals | null): number {
  if (u < 0 || u > 1) {
    if (totals) totals.powerClamps += 1;
    return specPowerCloudSim(host.power, Math.min(1, Math.max(0, u)));
  }
  return specPowerCloudSim(host.power, u);
}

/** Energy of the interval that ends now, per host (`getEnergyLinearInterpolation`). */
export function intervalEnergy(host: SimHost, dt: number, totals: Totals): number {
  const from = cpuUtil(host.prevUtilMips, host);
  if (from === 0) return 0;
  const to = cpuUtil(host.utilMips, host);
  const p0 = hostPower(host, from, totals);
  const p1 = hostPower(host, to, totals);
  return (p0 + (p1 - p0) / 2) * dt;
}
