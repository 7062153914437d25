/**
 * The standard consolidation baselines of Beloglazov & Buyya (CCPE 2012), as CloudSim 4.0 names them:
 * overload detectors THR, IQR, MAD, LR, LRR × VM selection MMT, MC, RS, with PABFD placement and the
 * all-or-nothing evacuation of under-utilised hosts (../shared/docs/simulation-model.md §3.4). Own code.
 *
 * `--policy iqr-mmt-1.5`: detector, selection, safety parameter (THR: the threshold itself).
 *
 * LR and LRR: the papers fit a local regression (Cleveland's loess) with tricube weights, most recent sample
 * weight 1, and LRR adds bisquare robustness weights from the residuals. CloudSim 4.0 applies the weights
 * only when ≥ 40 % of them are ≤ 0 (`MathUtil.createWeigthedLinearRegression`), which never happens, so
 * its LR and LRR are both plain OLS and give identical results. Here `lr` and `lrr` are the papers'
 * weighted fits; `lr-ols` is CloudSim's behaviour, for figures that stand beside CloudSim's.
 */
import {
  allocate,
  cpuUtil,
  HOST_RAM_MB,
  hostPower,
  migrationTimeS,
  ramNeed,
  ramOnHost,
  type RamModel,
  type SimHost,
  type SimVm,
} from './cloudsim-model.js';
import { seededRandom } from './synthetic-cluster.js';

export const DETECTORS = ['thr', 'iqr', 'mad', 'lr', 'lrr', 'lr-ols'] as const;
export const SELECTIONS = ['mmt', 'mc', 'rs'] as const;
export type Detector = (typeof DETECTORS)[number];
export type Selection = (typeof SELECTIONS)[number];

export interface BaselineSpec {
  readonly detector: Detector;
  readonly selection: Selection;
  readonly parameter: number;
  /** RS only. @default 1 */
  readonly seed?: number;
}

export const DEFAULT_PARAMETER: Record<Detector, number> = { thr: 0.8, iqr: 1.5, mad: 2.5, lr: 1.2, lrr: 1.2, 'lr-ols': 1.2 };

/** `thr-mmt-0.8` → spec; undefined when the name is not a baseline. */
export function parseBaseline(name: string, seed?: number): BaselineSpec | undefined {
  const m = /^(thr|iqr|mad|lr|lrr|lr-ols)-(mmt|mc|rs)(?:-([0-9]*\.?[0-9]+))?$/.exec(name);
  if (!m) return undefined;
  const detector = m[1] as Detector;
  return {
    detector,
    selection: m[2] as Selection,
    parameter: m[3] === undefined ? DEFAULT_PARAMETER[detector] : Number(m[3]),
    ...(seed === undefined ? {} : { seed }),
  };
}

export const baselineName = (b: BaselineSpec): string => `${b.detector}-${b.selection}-${b.parameter}`;

// ---------------------------------------------------------------------------------------------
// Statistics, as CloudSim's MathUtil computes them
// ---------------------------------------------------------------------------------------------

/** commons-math `Percentile(50)` on a copy. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const pos = (n + 1) / 2;
  if (pos < 1) return s[0]!;
  if (pos >= n) return s[n - 1]!;
  const lo = Math.floor(pos);
  return s[lo - 1]! + (pos - lo) * (s[lo]! - s[lo - 1]!);
}

export function iqr(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const q1 = Math.round(0.25 * (s.length + 1)) - 1;
  const q3 = Math.round(0.75 * (s.length + 1)) - 1;
  return s[q3]! - s[q1]!;
}

export function mad(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const m = median(values);
  return median(values.map((x) => Math.abs(m - x)));
}

/** Weighted least squares y = b0 + b1·x; null when degenerate. */
export function weightedFit(x: readonly number[], y: readonly number[], w: readonly number[]): [number, number] | null {
  let sw = 0,
    sx = 0,
    sy = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i]!;
    sx += w[i]! * x[i]!;
    sy += w[i]! * y[i]!;
  }
  if (!(sw > 0)) return null;
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0,
    sxy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += w[i]! * (x[i]! - mx) ** 2;
    sxy += w[i]! * (x[i]! - mx) * (y[i]! - my);
  }
  if (!(sxx > 0)) return null;
  const b1 = sxy / sxx;
  return [my - b1 * mx, b1];
}

/** Tricube weights over x = 1..n, the newest (x = n) weighing 1, the oldest 0 (Cleveland 1979). */
export function tricube(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (1 - Math.abs((n - 1 - i) / (n - 1)) ** 3) ** 3);
}

/** The forecast of a series (oldest → newest) `ahead` steps after its last sample, or null. */
export function regressionForecast(y: readonly number[], ahead: number, kind: 'ols' | 'loess' | 'robust'): number | null {
  const n = y.length;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const w = kind === 'ols' ? x.map(() => 1) : tricube(n);
  let fit = weightedFit(x, y, w);
  if (fit && kind === 'robust') {
    const res = y.map((v, i) => v - (fit![0] + fit![1] * x[i]!));
    const s6 = 6 * median(res.map(Math.abs));
    if (s6 > 0) {
      const w2 = w.map((wi, i) => wi * (Math.abs(res[i]! / s6) < 1 ? (1 - (res[i]! / s6) ** 2) ** 2 : 0));
      fit = weightedFit(x, y, w2) ?? fit;
    }
  }
  return fit ? fit[0] + fit[1] * (n + ahead) : null;
}

// ---------------------------------------------------------------------------------------------
// Detectors on a (planned) host
// ---------------------------------------------------------------------------------------------

/** `PowerHostUtilizationHistory.getUtilizationHistory` of `vms` on `host`: newest first, zero tail trimmed. */
export function hostHistory(host: SimHost, vms: readonly SimVm[]): number[] {
  const h = new Array<number>(30).fill(0);
  for (const v of vms) for (let i = 0; i < v.history.length; i++) h[i]! += (v.history[i]! * v.mips) / host.mips;
  let n = h.length;
  while (n > 0 && h[n - 1] === 0) n--;
  return h.slice(0, n);
}

const requestedUtil = (host: SimHost, vms: readonly SimVm[]): number => {
  let r = 0;
  for (const v of vms) r += v.req;
  return r / host.mips;
};

export function isOverUtilized(b: BaselineSpec, host: SimHost, vms: readonly SimVm[]): boolean {
  const u = requestedUtil(host, vms);
  if (b.detector === 'thr') return u > b.parameter;
  const fallback = u > 0.7;
  const hist = hostHistory(host, vms);
  if (b.detector === 'iqr' || b.detector === 'mad') {
    if (hist.length < 12) return fallback;
    return u > 1 - b.parameter * (b.detector === 'iqr' ? iqr(hist) : mad(hist));
  }
  const length = 10;
  if (hist.length < length) return fallback;
  const y = hist.slice(0, length).reverse();
  let maxRam = 0;
  for (const v of vms) maxRam = Math.max(maxRam, v.ramMb);
  const ahead = Math.ceil(migrationTimeS(maxRam) / 300);
  const predicted = regressionForecast(y, ahead, b.detector === 'lr-ols' ? 'ols' : b.detector === 'lr' ? 'loess' : 'robust');
  if (predicted === null) return fallback;
  return predicted * b.parameter >= 1;
}

// ---------------------------------------------------------------------------------------------
// VM selection
// ---------------------------------------------------------------------------------------------

function mmt(vms: readonly SimVm[]): SimVm | undefined {
  let best: SimVm | undefined;
  for (const v of vms) if (v.target === null && (best === undefined || v.ramMb < best.ramMb)) best = v;
  return best;
}

/** R² of OLS y ~ 1 + X (columns), or null when singular or without degrees of freedom. */
function rSquared(y: readonly number[], cols: ReadonlyArray<readonly number[]>): number | null {
  const m = y.length;
  const p = cols.length + 1;
  if (m <= p) return null;
  const a: number[][] = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  const row = (k: number, j: number): number => (j === 0 ? 1 : cols[j - 1]![k]!);
  for (let k = 0; k < m; k++)
    for (let i = 0; i < p; i++) {
      const ri = row(k, i);
      for (let j = 0; j < p; j++) a[i]![j]! += ri * row(k, j);
      a[i]![p]! += ri * y[k]!;
    }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    if (Math.abs(a[piv]![c]!) < 1e-12) return null;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= p; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  const beta = a.map((r, i) => r[p]! / r[i]!);
  const mean = y.reduce((s, v) => s + v, 0) / m;
  let ssr = 0,
    sst = 0;
  for (let k = 0; k < m; k++) {
    let pred = 0;
    for (let j = 0; j < p; j++) pred += beta[j]! * row(k, j);
    ssr += (y[k]! - pred) ** 2;
    sst += (y[k]! - mean) ** 2;
  }
  return sst > 0 ? 1 - ssr / sst : null;
}

export function makeSelector(b: BaselineSpec): (vms: readonly SimVm[]) => SimVm | undefined {
  if (b.selection === 'mmt') return mmt;
  if (b.selection === 'rs') {
    const rnd = seededRandom(b.seed ?? 1);
    return (vms) => {
      const free = vms.filter((v) => v.target === null);
      return free.length === 0 ? undefined : free[Math.floor(rnd() * free.length)];
    };
  }
  return (vms) => {
    const free = vms.filter((v) => v.target === null);
    if (free.length === 0) return undefined;
    const m = Math.min(...free.map((v) => v.history.length));
    const series = free.map((v) => v.history.slice(0, m));
    let best = 0;
    let bestR = Number.MIN_VALUE;
    for (let i = 0; i < free.length; i++) {
      const r = rSquared(
        series[i]!,
        series.filter((_, j) => j !== i),
      );
      if (r === null) return mmt(free);
      if (r > bestR) {
        bestR = r;
        best = i;
      }
    }
    return free[best];
  };
}

// ---------------------------------------------------------------------------------------------
// PABFD and the consolidation loop (`PowerVmAllocationPolicyMigrationAbstract.optimizeAllocation`)
// ---------------------------------------------------------------------------------------------

export interface PlannedMove {
  readonly vm: SimVm;
  readonly to: SimHost;
  readonly reason: string;
}

/** A planning copy of the allocation: per host, its VM list (CloudSim mutates and restores; this copies). */
export class PlanState {
  readonly lists: SimVm[][];
  private readonly cache: Array<{ sum: number; available: number } | undefined>;
  /** P(utilisation at the last update): what `host.getPower()` returns during planning. */
  readonly basePower: Float64Array;
  /** RAM (MB) the plan puts on each host under `ramModel`. */
  readonly ram: Float64Array;
  constructor(
    readonly hosts: readonly SimHost[],
    readonly ramModel: RamModel = 'requested',
  ) {
    this.lists = hosts.map((h) => [...h.vms]);
    this.cache = hosts.map(() => undefined);
    this.basePower = Float64Array.from(hosts, (h) => hostPower(h, cpuUtil(h.utilMips, h), null));
    this.ram = Float64Array.from(hosts, (h) => ramOnHost(h, ramModel));
  }
  /** Whether `v`'s RAM need fits on `h` in the plan (always true under `requested`: the need is 0). */
  ramFits(h: SimHost, v: SimVm): boolean {
    return this.ram[h.id]! + ramNeed(v, this.ramModel) <= HOST_RAM_MB;
  }
  alloc(h: SimHost): { sum: number; available: number } {
    return (this.cache[h.id] ??= allocate(h, this.lists[h.id]!, null));
  }
  add(h: SimHost, v: SimVm): void {
    this.lists[h.id]!.push(v);
    this.cache[h.id] = undefined;
    this.ram[h.id]! += ramNeed(v, this.ramModel);
  }
  remove(h: SimHost, v: SimVm): void {
    const l = this.lists[h.id]!;
    const i = l.indexOf(v);
    if (i >= 0) {
      l.splice(i, 1);
      this.ram[h.id]! -= h === v.host && !h.migratingIn.has(v) ? v.ramHeld : ramNeed(v, this.ramModel);
    }
    this.cache[h.id] = undefined;
  }
}

/**
 * PABFD `findHostForVm`: the suitable host (PE cap, free MIPS, RAM need under the plan's `RamModel`) with the least power increase that does not
 * become over-utilised (empty hosts are not tested), first in id order on ties. The detector runs only for a
 * host that would win, which gives the same answer as testing every host.
 */
export function findHostForVm(
  b: BaselineSpec,
  plan: PlanState,
  vm: SimVm,
  excluded: Uint8Array,
  extraFits: ((h: SimHost) => boolean) | null = null,
  /** At t = 0 the VMs already placed request nothing yet: only the new VM's full MIPS counts. */
  creating = false,
): SimHost | null {
  let min = Number.MAX_VALUE;
  let best: SimHost | null = null;
  for (const h of plan.hosts) {
    if (excluded[h.id]) continue;
    if (h.peMips < vm.req) continue;
    const a = plan.alloc(h);
    if (a.available < vm.req) continue;
    if (!plan.ramFits(h, vm)) continue;
    if (extraFits && !extraFits(h)) continue;
    const diff = hostPower(h, (a.sum + vm.req) / h.mips, null) - plan.basePower[h.id]!;
    if (!(diff < min)) continue;
    if (a.sum !== 0 && creating) {
      if (vm.req / h.mips > (b.detector === 'thr' ? b.parameter : 0.7)) continue;
    } else if (a.sum !== 0) {
      const list = plan.lists[h.id]!;
      list.push(vm);
      const over = isOverUtilized(b, h, list);
      list.pop();
      if (over) continue;
    }
    min = diff;
    best = h;
  }
  return best;
}

/** One `optimizeAllocation` at an update: over-utilised hosts, then under-utilised ones. */
export function optimizeBaseline(
  b: BaselineSpec,
  hosts: readonly SimHost[],
  select: (vms: readonly SimVm[]) => SimVm | undefined,
  ramModel: RamModel = 'requested',
): PlannedMove[] {
  const plan = new PlanState(hosts, ramModel);
  const over = new Uint8Array(hosts.length);
  const overList: SimHost[] = [];
  for (const h of hosts)
    if (isOverUtilized(b, h, h.vms)) {
      over[h.id] = 1;
      overList.push(h);
    }
  const toMigrate: SimVm[] = [];
  for (const h of overList) {
    const list = plan.lists[h.id]!;
    for (;;) {
      const v = select(list);
      if (!v) break;
      toMigrate.push(v);
      plan.remove(h, v);
      if (!isOverUtilized(b, h, list)) break;
    }
  }
  const moves: PlannedMove[] = [];
  const byMips = (vms: SimVm[]): SimVm[] =>
    vms
      .map((v, i) => ({ v, i }))
      .sort((x, y) => y.v.req - x.v.req || x.i - y.i)
      .map((x) => x.v);
  for (const v of byMips(toMigrate)) {
    const to = findHostForVm(b, plan, v, over);
    if (to) {
      plan.add(to, v);
      moves.push({ vm: v, to, reason: `${v.host?.name} over-utilised (${b.detector}); ${b.selection} chose it; PABFD` });
    }
  }
  // Under-utilised hosts, least utilised first, all or nothing.
  const excludedFind = new Uint8Array(hosts.length);
  const excludedPlace = new Uint8Array(hosts.length);
  for (const h of hosts)
    if (over[h.id] || h.utilMips === 0) {
      excludedFind[h.id] = 1;
      excludedPlace[h.id] = 1;
    }
  const order = hosts
    .map((h) => ({ h, u: cpuUtil(h.utilMips, h) }))
    .filter((x) => x.u > 0 && x.u < 1)
    .sort((x, y) => x.u - y.u || x.h.id - y.h.id);
  for (const { h } of order) {
    if (excludedFind[h.id]) continue;
    const list = plan.lists[h.id]!;
    // areAllVmsMigratingOutOrAnyVmMigratingIn
    let skip = true;
    for (const v of list) {
      if (v.target === null) {
        skip = false;
        break;
      }
      if (h.migratingIn.has(v)) break;
    }
    if (skip) continue;
    excludedFind[h.id] = 1;
    excludedPlace[h.id] = 1;
    const vms = list.filter((v) => v.target === null);
    if (vms.length === 0) continue;
    const placed: PlannedMove[] = [];
    let ok = true;
    for (const v of byMips(vms)) {
      const to = findHostForVm(b, plan, v, excludedPlace);
      if (!to) {
        ok = false;
        break;
      }
      plan.add(to, v);
      placed.push({ vm: v, to, reason: `evacuate under-utilised ${h.name}; PABFD` });
    }
    if (!ok) {
      for (const p of placed) plan.remove(p.to, p.vm);
      continue;
    }
    for (const p of placed) excludedFind[p.to.id] = 1;
    moves.push(...placed);
  }
  return moves;
}
