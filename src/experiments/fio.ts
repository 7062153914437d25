/**
 * fio against RBD images (`ioengine=rbd`, librbd in fio's own process): the job argv, the prefill,
 * the environment that turns the RBD cache off, and the parser of fio's `--output-format=json`.
 *
 * RBD cache: fio's rbd engine has no cache option (`fio --enghelp=rbd` lists clustername, rbdname,
 * pool, clientname, busy_poll). The cache is a Ceph client setting, so it is turned off through the
 * environment librados reads after the conf file: `CEPH_ARGS="--rbd_cache=false"` (the lab's
 * ceph.conf comes from `CEPH_CONF`; without it librados would read /etc/ceph).
 */
import { ToolFailedError, type Runner } from '../exec/index.js';

export type FioJobKind = 'randwrite' | 'randread';
export const FIO_JOBS: readonly FioJobKind[] = ['randwrite', 'randread'];

export interface FioSettings {
  /** e.g. `4k`. */
  readonly block_size: string;
  readonly iodepth: number;
  readonly runtime_s: number;
  readonly ramp_s: number;
}

export interface FioTarget {
  readonly pool: string;
  readonly image: string;
  /** Ceph user without `client.`; the lab uses admin. */
  readonly clientName?: string;
}

/** What the study reports per job. Latencies are completion latencies (fio's clat), ms. */
export interface FioSummary {
  readonly iops: number;
  readonly mib_s: number;
  readonly lat_mean_ms: number;
  readonly lat_p99_ms: number;
  readonly lat_p9999_ms: number;
  readonly runtime_s: number;
}

/** A fio output that is not what this parser expects: names what is missing. */
export class FioOutputError extends Error {
  constructor(message: string) {
    super(`fio output: ${message}`);
    this.name = 'FioOutputError';
  }
}

/** The measured job: 4K random I/O at queue depth 32 for runtime_s after ramp_s, one job, JSON out. */
export function fioRbdArgs(target: FioTarget, job: FioJobKind, s: FioSettings): string[] {
  return [
    `--name=${job}`,
    '--ioengine=rbd',
    `--clientname=${target.clientName ?? 'admin'}`,
    `--pool=${target.pool}`,
    `--rbdname=${target.image}`,
    `--rw=${job}`,
    `--bs=${s.block_size}`,
    `--iodepth=${s.iodepth}`,
    '--numjobs=1',
    '--direct=1',
    '--time_based=1',
    `--runtime=${s.runtime_s}`,
    `--ramp_time=${s.ramp_s}`,
    '--percentile_list=50:99:99.9:99.99',
    '--output-format=json',
  ];
}

/**
 * Fills the whole image once with sequential 4M writes, so that random writes do not measure
 * object creation and random reads reach the store (reads of unwritten extents never do).
 */
export function fioPrefillArgs(target: FioTarget): string[] {
  return [
    '--name=prefill',
    '--ioengine=rbd',
    `--clientname=${target.clientName ?? 'admin'}`,
    `--pool=${target.pool}`,
    `--rbdname=${target.image}`,
    '--rw=write',
    '--bs=4M',
    '--iodepth=8',
    '--numjobs=1',
    '--direct=1',
    '--output-format=json',
  ];
}

/** The environment of every fio run against the lab or a testbed's Ceph: its conf, and the RBD cache off. */
export function fioEnv(cephConf: string): Record<string, string> {
  return { CEPH_CONF: cephConf, CEPH_ARGS: '--rbd_cache=false' };
}

/** Runs fio with argv (never a shell) and returns its JSON text; a failure names the job. */
export async function runFio(runner: Runner, args: readonly string[], env: Record<string, string>): Promise<string> {
  try {
    const r = await runner('fio', args, { env });
    return r.stdout;
  } catch (err) {
    if (err instanceof ToolFailedError) throw new ToolFailedError(`fio ${args[0] ?? ''}`, err.exitCode, err.shortMessage);
    throw err;
  }
}

interface FioDirStats {
  readonly io_bytes: number;
  readonly bw_bytes: number;
  readonly iops: number;
  readonly runtime: number;
  readonly clat_ns: { readonly mean: number; readonly percentile?: Record<string, number> };
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FioOutputError(`${what} is not a number (got ${JSON.stringify(v)})`);
  return v;
}

function percentile(p: Record<string, number> | undefined, key: string, where: string): number {
  const v = p?.[key];
  if (v === undefined) throw new FioOutputError(`${where}.clat_ns.percentile has no "${key}" (run fio with --percentile_list including it)`);
  return v;
}

/**
 * Parses fio's `--output-format=json` (fio 3.x) for one job: IOPS, MiB/s and the completion
 * latency's mean, p99 and p99.99. `direction` defaults to the job's own (write for *write).
 * Text before the JSON (fio prints warnings there) is skipped.
 */
export function parseFioJson(text: string, direction?: 'read' | 'write'): FioSummary {
  const start = text.indexOf('{');
  if (start < 0) throw new FioOutputError('no JSON object found');
  let doc: { jobs?: Array<Record<string, unknown>> };
  try {
    doc = JSON.parse(text.slice(start)) as typeof doc;
  } catch (err) {
    throw new FioOutputError(`not valid JSON: ${(err as Error).message}`);
  }
  const job = doc.jobs?.[0];
  if (!job) throw new FioOutputError('"jobs" is empty');
  const rw = String((job['job options'] as Record<string, string> | undefined)?.rw ?? '');
  const dir = direction ?? (/write/.test(rw) ? 'write' : 'read');
  const stats = job[dir] as FioDirStats | undefined;
  if (!stats) throw new FioOutputError(`jobs[0] has no "${dir}" section`);
  const where = `jobs[0].${dir}`;
  const clat = stats.clat_ns;
  if (!clat) throw new FioOutputError(`${where} has no clat_ns`);
  return {
    iops: num(stats.iops, `${where}.iops`),
    mib_s: num(stats.bw_bytes, `${where}.bw_bytes`) / (1024 * 1024),
    lat_mean_ms: num(clat.mean, `${where}.clat_ns.mean`) / 1e6,
    lat_p99_ms: percentile(clat.percentile, '99.000000', where) / 1e6,
    lat_p9999_ms: percentile(clat.percentile, '99.990000', where) / 1e6,
    runtime_s: num(stats.runtime, `${where}.runtime`) / 1000,
  };
}
