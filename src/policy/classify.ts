/**
 * The study's four VM states, in both readings (see docs/policy.md, "Ambiguities").
 *
 * - `paper`: the table as written. `RAM||CPU < x` is read as "RAM < x or CPU < x" (A1) and the rows
 *   are tried in table order, first match wins (A2), boundaries: "below 25" is `< low`, "between 25 and
 *   70" is `low <= v <= high` (A3), "above 70" is `> high`. State 0 is "current RAM and CPU both below
 *   their averages over t" (A4). A VM below `low` whose traffic is not below VMnet matches no row: no
 *   message (A5).
 * - `safe`: a VM's load is the larger of RAM and CPU; state 0 also needs both averages below `low`
 *   (idle for the whole interval), a low VM with traffic ≥ VMnet is held in state 2, and the thresholds
 *   move by the hysteresis margin away from the VM's previous state.
 */
import type { VmState } from './interfaces.js';
import type { PolicySettings } from './settings.js';

/** The numbers a classification looks at. */
export interface ClassifyInput {
  readonly cpuPct: number;
  readonly ramPct: number;
  readonly cpuAvgPct: number;
  readonly ramAvgPct: number;
  /** Traffic over one sample period, MiB. */
  readonly netMiB: number;
  /** VMnet = memory × β (or the fixed limit), MiB. */
  readonly vmnetMiB: number;
}

export interface Classification {
  /** null: no row of the paper's table matches (paper mode only). */
  readonly state: VmState | null;
  readonly reason: string;
}

const f = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

export function classifyPaper(v: ClassifyInput, s: PolicySettings): Classification {
  const cpu = v.cpuPct;
  const ram = v.ramPct;
  const { low, high } = s;
  if (ram < v.ramAvgPct && cpu < v.cpuAvgPct) {
    return { state: 0, reason: `state 0: RAM ${f(ram)} < Rmin ${f(v.ramAvgPct)} and CPU ${f(cpu)} < Cmin ${f(v.cpuAvgPct)}` };
  }
  if ((ram < low || cpu < low) && v.netMiB < v.vmnetMiB) {
    return { state: 1, reason: `state 1: RAM ${f(ram)} or CPU ${f(cpu)} < ${f(low)} and traffic ${f(v.netMiB)} MiB < VMnet ${f(v.vmnetMiB)} MiB` };
  }
  if ((ram >= low && ram <= high) || (cpu >= low && cpu <= high)) {
    return { state: 2, reason: `state 2: RAM ${f(ram)} or CPU ${f(cpu)} in [${f(low)}, ${f(high)}]` };
  }
  if (ram > high || cpu > high) {
    return { state: 3, reason: `state 3: RAM ${f(ram)} or CPU ${f(cpu)} > ${f(high)}` };
  }
  return {
    state: null,
    reason: `no state: RAM ${f(ram)} or CPU ${f(cpu)} < ${f(low)} but traffic ${f(v.netMiB)} MiB >= VMnet ${f(v.vmnetMiB)} MiB (no row matches)`,
  };
}

export function classifySafe(v: ClassifyInput, s: PolicySettings, previous: VmState | undefined): Classification {
  const load = Math.max(v.cpuPct, v.ramPct);
  const avgLoad = Math.max(v.cpuAvgPct, v.ramAvgPct);
  const h = s.hysteresisPct;
  const pb = previous === undefined ? undefined : Math.max(previous, 1);
  // Thresholds shifted away from the previous band: leaving a band takes the margin h.
  const lowEff = pb === undefined ? s.low : pb <= 1 ? s.low + h : s.low - h;
  const highEff = pb === undefined ? s.high : pb <= 2 ? s.high + h : s.high - h;
  const shifted = lowEff !== s.low || highEff !== s.high ? ` (hysteresis from state ${previous}: low ${f(lowEff)}, high ${f(highEff)})` : '';
  const what = `max(CPU ${f(v.cpuPct)}, RAM ${f(v.ramPct)}) = ${f(load)}`;
  if (load > highEff) return { state: 3, reason: `state 3: ${what} > ${f(highEff)}${shifted}` };
  if (load >= lowEff) return { state: 2, reason: `state 2: ${what} in [${f(lowEff)}, ${f(highEff)}]${shifted}` };
  if (v.ramPct < v.ramAvgPct && v.cpuPct < v.cpuAvgPct && avgLoad < s.low) {
    return {
      state: 0,
      reason: `state 0: idle for the interval: ${what} below Rmin ${f(v.ramAvgPct)}/Cmin ${f(v.cpuAvgPct)}, both averages < ${f(s.low)}`,
    };
  }
  if (v.netMiB < v.vmnetMiB) {
    return { state: 1, reason: `state 1: ${what} < ${f(lowEff)}${shifted} and traffic ${f(v.netMiB)} MiB < VMnet ${f(v.vmnetMiB)} MiB` };
  }
  return { state: 2, reason: `state 2 (held): ${what} < ${f(lowEff)} but traffic ${f(v.netMiB)} MiB >= VMnet ${f(v.vmnetMiB)} MiB` };
}
