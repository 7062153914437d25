/**
 * The experiment matrix: pool × flavor × load, `reps` migrations each, plus fio per pool
 * (each job × repeats). Built from the spec's `experiments` section and the CLI's overrides; pure.
 */
import type { MigrationLoad } from './migration-record.js';
import { MIGRATION_LOADS, type TestbedSpec } from '../config/index.js';
import { FIO_JOBS, type FioJobKind } from './fio.js';

export interface MatrixOverrides {
  readonly pools?: readonly string[];
  readonly flavors?: readonly string[];
  readonly loads?: readonly string[];
  readonly reps?: number;
  /** Skip fio entirely. @default false */
  readonly noFio?: boolean;
}

export interface MigrationCell {
  readonly kind: 'migration';
  readonly pool: string;
  readonly flavor: string;
  readonly load: MigrationLoad;
  readonly reps: number;
}

export interface FioCell {
  readonly kind: 'fio';
  readonly pool: string;
  readonly job: FioJobKind;
  readonly repeats: number;
}

export type Cell = MigrationCell | FioCell;

export interface Matrix {
  readonly pools: readonly string[];
  readonly flavors: readonly string[];
  readonly loads: readonly MigrationLoad[];
  readonly reps: number;
  readonly fioRepeats: number;
  readonly fioJobs: readonly FioJobKind[];
  /** Migrations first (pool-major, then flavor, then load), then fio per pool. */
  readonly cells: readonly Cell[];
}

/** A bad matrix option: names the option, the value and what is allowed. */
export class MatrixError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'MatrixError';
  }
}

const LOADS: readonly MigrationLoad[] = MIGRATION_LOADS;

function pick<T extends string>(option: string, given: readonly string[] | undefined, allowed: readonly T[], fallback: readonly T[]): T[] {
  if (given === undefined) return [...fallback];
  if (given.length === 0) throw new MatrixError(`--${option}: empty list; allowed: a comma-separated subset of ${allowed.join(', ')}`);
  const bad = given.filter((g) => !allowed.includes(g as T));
  if (bad.length) throw new MatrixError(`--${option}: unknown ${bad.map((b) => `"${b}"`).join(', ')}; allowed: ${allowed.join(', ')}`);
  return [...new Set(given)] as T[];
}

/** Pools of the spec, by name, in spec order. */
export function specPools(spec: TestbedSpec): string[] {
  return spec.ceph.pools.map((p) => p.name);
}

export function buildMatrix(spec: TestbedSpec, o: MatrixOverrides = {}): Matrix {
  const pools = pick('pools', o.pools, specPools(spec), specPools(spec));
  const flavors = pick('flavors', o.flavors, Object.keys(spec.flavors), spec.experiments.flavors);
  const loads = pick('load', o.loads, LOADS, spec.experiments.loads);
  const reps = o.reps ?? spec.experiments.repetitions;
  if (!Number.isInteger(reps) || reps < 1) throw new MatrixError(`--reps: ${reps} is not allowed; allowed: a whole number ≥ 1`);
  const fioRepeats = spec.experiments.fio.repeats;
  const cells: Cell[] = [];
  for (const pool of pools) for (const flavor of flavors) for (const load of loads) cells.push({ kind: 'migration', pool, flavor, load, reps });
  const fioJobs = o.noFio ? [] : [...FIO_JOBS];
  for (const pool of pools) for (const job of fioJobs) cells.push({ kind: 'fio', pool, job, repeats: fioRepeats });
  return { pools, flavors, loads, reps, fioRepeats, fioJobs, cells };
}

/** Splits `a,b,c` (CLI list options); undefined stays undefined. */
export function splitList(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

export function cellLabel(c: Cell): string {
  return c.kind === 'migration' ? `${c.pool} × ${c.flavor} × load ${c.load}` : `fio ${c.job} on ${c.pool}`;
}
