/**
 * Trace readers for replay: per-VM CPU (and optionally RAM) samples.
 * - PlanetLab (CoMon, as shipped with CloudSim): a directory with one file per VM, each 288 integer
 *   CPU-% lines (5-minute steps). File names may contain spaces. Files are read sorted by the byte
 *   order of their names (CloudSim reads them in directory order, which differs between machines).
 * - CSV: header `vm,step,cpu_pct[,ram_pct]`, one row per VM and step.
 * - JSON: `{ "step_s": 300, "vms": [{ "id": "a", "cpu_pct": [..], "ram_pct": [..] }] }`.
 * Bad input names the file, the line (or key) and the value.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface VmTrace {
  readonly id: string;
  /** CPU %, one value per step. */
  readonly cpu: readonly number[];
  /** RAM %, when the trace has it. */
  readonly ram?: readonly number[];
}

export interface TraceSet {
  readonly source: string;
  readonly stepS: number;
  readonly vms: readonly VmTrace[];
}

export class TraceError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

export const PLANETLAB_SAMPLES = 288;

function pct(file: string, where: string, raw: string): number {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 100)
    throw new TraceError(`${file}: ${where}: got ${JSON.stringify(raw)}; allowed: a CPU percentage 0..100`);
  return v;
}

/** Byte-order comparison of file names (not locale order). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function readPlanetLabFile(path: string, id: string): VmTrace {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== PLANETLAB_SAMPLES)
    throw new TraceError(`${path}: ${lines.length} lines; allowed: exactly ${PLANETLAB_SAMPLES} (one CPU % per 5 minutes)`);
  return { id, cpu: lines.map((l, i) => pct(path, `line ${i + 1}`, l)) };
}

export function readCsvTrace(path: string): VmTrace[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const head = lines
    .shift()
    ?.split(',')
    .map((h) => h.trim());
  if (!head || head[0] !== 'vm' || head[1] !== 'step' || head[2] !== 'cpu_pct')
    throw new TraceError(`${path}: line 1: got ${JSON.stringify(head?.join(','))}; allowed: the header vm,step,cpu_pct[,ram_pct]`);
  const hasRam = head[3] === 'ram_pct';
  const byVm = new Map<string, { cpu: number[]; ram: number[] }>();
  lines.forEach((l, i) => {
    const [vm, step, cpu, ram] = l.split(',');
    const n = Number(step);
    if (!vm || !Number.isInteger(n) || n < 0)
      throw new TraceError(`${path}: line ${i + 2}: got ${JSON.stringify(l)}; allowed: vm,step,cpu_pct with step an integer >= 0`);
    const t = byVm.get(vm) ?? { cpu: [], ram: [] };
    t.cpu[n] = pct(path, `line ${i + 2} cpu_pct`, cpu ?? '');
    if (hasRam) t.ram[n] = pct(path, `line ${i + 2} ram_pct`, ram ?? '');
    byVm.set(vm, t);
  });
  return [...byVm.entries()]
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([id, t]) => {
      if (t.cpu.some((v) => v === undefined) || t.cpu.length !== [...t.cpu].filter((v) => v !== undefined).length)
        throw new TraceError(`${path}: vm ${id}: steps missing; allowed: every step from 0 to the last`);
      return { id, cpu: t.cpu, ...(hasRam ? { ram: t.ram } : {}) };
    });
}

export function readJsonTrace(path: string): { stepS?: number; vms: VmTrace[] } {
  let d: { step_s?: unknown; vms?: Array<{ id?: unknown; cpu_pct?: unknown; ram_pct?: unknown }> };
  try {
    d = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TraceError(`${path}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(d?.vms))
    throw new TraceError(`${path}: vms: got ${JSON.stringify(d?.vms)}; allowed: an array of { id, cpu_pct: [..], ram_pct?: [..] }`);
  const vms = d.vms.map((v, i) => {
    if (typeof v.id !== 'string' || !Array.isArray(v.cpu_pct))
      throw new TraceError(`${path}: vms[${i}]: got ${JSON.stringify(v).slice(0, 80)}; allowed: { id: string, cpu_pct: number[] }`);
    const cpu = v.cpu_pct.map((x, k) => pct(path, `vms[${i}].cpu_pct[${k}]`, String(x)));
    const ram = Array.isArray(v.ram_pct) ? v.ram_pct.map((x, k) => pct(path, `vms[${i}].ram_pct[${k}]`, String(x))) : undefined;
    return { id: v.id, cpu, ...(ram ? { ram } : {}) };
  });
  return { ...(typeof d.step_s === 'number' ? { stepS: d.step_s } : {}), vms };
}

/** Reads a trace file (.csv, .json) or a directory (PlanetLab files, or .csv/.json files). */
export function readTraces(path: string): TraceSet {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new TraceError(`${path}: no such file or directory; allowed: a PlanetLab day directory, a .csv or a .json trace`);
  }
  if (st.isFile()) {
    if (path.endsWith('.csv')) return { source: path, stepS: 300, vms: readCsvTrace(path) };
    if (path.endsWith('.json')) {
      const j = readJsonTrace(path);
      return { source: path, stepS: j.stepS ?? 300, vms: j.vms };
    }
    return { source: path, stepS: 300, vms: [readPlanetLabFile(path, path)] };
  }
  const names = readdirSync(path)
    .filter((n) => !n.startsWith('.') && statSync(join(path, n)).isFile())
    .sort(byteOrder);
  const vms: VmTrace[] = [];
  for (const n of names) {
    const p = join(path, n);
    if (n.endsWith('.csv')) vms.push(...readCsvTrace(p));
    else if (n.endsWith('.json')) vms.push(...readJsonTrace(p).vms);
    else vms.push(readPlanetLabFile(p, n));
  }
  if (vms.length === 0) throw new TraceError(`${path}: no trace files; allowed: a directory with one PlanetLab file per VM`);
  return { source: path, stepS: 300, vms };
}
