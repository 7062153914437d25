/**
 * The experiment run's options (--reps, --fio-runtime-s, --pools, --flavors, --load, --no-fio),
 * checked in one place for `testbed experiment run` and `testbed start`, so that `start` refuses a
 * bad option before it deploys anything.
 */
import type { TestbedSpec } from '../../config/index.js';
import { MatrixError, buildMatrix, splitList, type Matrix } from '../../experiments/index.js';
import { UsageError } from '../command.js';

export const runOptionSpecs = {
  pools: { type: 'string' },
  flavors: { type: 'string' },
  reps: { type: 'string' },
  load: { type: 'string' },
  'no-fio': { type: 'boolean' },
  'fio-runtime-s': { type: 'string' },
} as const;

export interface RunOptionValues {
  readonly pools?: string;
  readonly flavors?: string;
  readonly reps?: string;
  readonly load?: string;
  readonly 'no-fio'?: boolean;
  readonly 'fio-runtime-s'?: string;
}

function wholeNumber(option: string, value: string | undefined, allowed: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${option}: "${value}" is not allowed; allowed: ${allowed}`);
  return Number(value);
}

export interface RunPlan {
  /** The spec with --fio-runtime-s applied (a scaled run; the file keeps the study's value). */
  readonly spec: TestbedSpec;
  readonly matrix: Matrix;
  readonly reps?: number;
  readonly fioRuntimeS?: number;
}

/** Checks every run option against the spec; throws UsageError naming the option, the value and what is allowed. */
export function planRun(loaded: TestbedSpec, values: RunOptionValues): RunPlan {
  const reps = wholeNumber('--reps', values.reps, `a whole number ≥ 1 (${loaded.experiments.repetitions} is the study's count)`);
  const fioRuntimeS = wholeNumber('--fio-runtime-s', values['fio-runtime-s'], 'a whole number of seconds ≥ 1 for each measured fio job');
  const spec =
    fioRuntimeS === undefined
      ? loaded
      : { ...loaded, experiments: { ...loaded.experiments, fio: { ...loaded.experiments.fio, runtime_s: fioRuntimeS } } };
  try {
    const matrix = buildMatrix(spec, {
      pools: splitList(values.pools),
      flavors: splitList(values.flavors),
      loads: splitList(values.load),
      reps,
      noFio: values['no-fio'],
    });
    return { spec, matrix, ...(reps === undefined ? {} : { reps }), ...(fioRuntimeS === undefined ? {} : { fioRuntimeS }) };
  } catch (e) {
    if (e instanceof MatrixError) throw new UsageError(e.message);
    throw e;
  }
}
