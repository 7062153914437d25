/**
 * Fitting the `fitted` pre-copy model (src/policy/precopy.ts) to measured migrations, and its error on
 * migrations it was not fitted on (issue 13 §5). Pure and deterministic: no clock, no randomness, no I/O.
 *
 * The fit has three stages, each on what identifies its parameters:
 * 1. wire bytes: `bytes = (4096 + pageOverheadBytes) × normal + zeroPageBytes × zero + fixedBytes`, linear least
 *    squares (non-negative) on QEMU's own page counts;
 * 2. time and bytes: `linkEfficiency`, `setupMs`, `zeroPageUs` and the lab guest's resident memory, by a pattern
 *    search (Hooke–Jeeves, bounded) on the squared log errors of predicted time and bytes;
 * 3. syncs: `extraSyncs` = the median of measured dirty-bitmap syncs minus predicted rounds.
 * Held-out error: k-fold cross-validation (leave-one-out up to 60 rows), each fold fitted without its rows.
 */
import { estimateFittedPrecopy, estimatePrecopy, type FittedPrecopyEstimate, type FittedPrecopyParams } from './precopy.js';

const MIB = 1024 * 1024;
const PAGE = 4096;

/** One measured migration, as the fit sees it. */
export interface PrecopyObservation {
  /** Names the migration in messages and tables (e.g. `filestore-small-memory-r1`). */
  readonly id: string;
  /** The guest's load during the migration (`none`, `memory`, ...): errors are reported per load. */
  readonly load: string;
  readonly memoryBytes: number;
  /** The guest's own measured dirty rate, bytes/s (0 for an idle guest). */
  readonly dirtyBytesPerS: number;
  /** Memory the guest rewrites round robin, bytes (0 for an idle guest). */
  readonly workingSetBytes: number;
  /** The guest's pattern region (written at boot, checked after the migration), bytes: resident besides the guest's own memory. */
  readonly patternBytes: number;
  /** Nominal (shaped) link rate, bytes/s. */
  readonly linkBytesPerS: number;
  /** Downtime limit in force, ms. */
  readonly downtimeMs: number;
  readonly measured: {
    readonly timeMs: number;
    readonly bytes: number;
    readonly normalPages: number;
    readonly zeroPages: number;
    readonly iterations: number;
  };
}

/** The model's parameters plus the lab guest's own resident memory (besides its pattern region). */
export interface PrecopyFit {
  readonly params: FittedPrecopyParams;
  /** Non-zero memory of the lab guest outside its pattern region (kernel, initramfs, dirtier), MiB. */
  readonly guestResidentMiB: number;
}

export interface ErrorStats {
  /** Median of |predicted ÷ measured − 1|. */
  readonly median: number;
  /** Largest |predicted ÷ measured − 1|. */
  readonly max: number;
}

export interface ErrorSummary {
  readonly n: number;
  readonly timeMs: ErrorStats;
  readonly bytes: ErrorStats;
  readonly iterations: ErrorStats;
}

export interface RowPrediction {
  readonly id: string;
  readonly load: string;
  readonly fold: number;
  readonly timeMs: number;
  readonly bytes: number;
  readonly iterations: number;
}

export interface CrossValidation {
  readonly method: 'leave-one-out' | 'k-fold';
  readonly folds: number;
  /** Each row's prediction by the fit of the folds it is not in. */
  readonly predictions: readonly RowPrediction[];
  readonly overall: ErrorSummary;
  readonly byLoad: Readonly<Record<string, ErrorSummary>>;
}

/** Too few or unusable rows: names what is wrong and what is needed (a user error, exit 2). */
export class PrecopyFitError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'PrecopyFitError';
  }
}

/** Rows a fit needs at least: 7 parameters, each stage with rows to spare. */
export const MIN_FIT_ROWS = 6;

/** The model's estimate for one observed migration, with the guest's resident memory the fit found. */
export function predict(o: PrecopyObservation, fit: PrecopyFit): FittedPrecopyEstimate {
  return estimateFittedPrecopy(
    {
      memoryBytes: o.memoryBytes,
      residentBytes: Math.min(o.memoryBytes, fit.guestResidentMiB * MIB + o.patternBytes),
      workingSetBytes: o.workingSetBytes,
      dirtyBytesPerS: o.dirtyBytesPerS,
      bandwidthBytesPerS: o.linkBytesPerS,
      downtimeMs: o.downtimeMs,
    },
    fit.params,
  );
}

/** Least squares with every coefficient ≥ 0: the best of the unconstrained fits on each subset of columns. */
function nonNegativeLeastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const k = rows[0]!.length;
  let best: { x: number[]; rss: number } | undefined;
  for (let mask = 1; mask < 1 << k; mask++) {
    const cols = [...Array(k).keys()].filter((j) => mask & (1 << j));
    const x = solveLeastSquares(
      rows.map((r) => cols.map((j) => r[j]!)),
      y,
    );
    if (!x || x.some((v) => v < 0)) continue;
    const full = Array<number>(k).fill(0);
    cols.forEach((j, i) => (full[j] = x[i]!));
    const rss = rows.reduce((a, r, i) => a + (r.reduce((s, v, j) => s + v * full[j]!, 0) - y[i]!) ** 2, 0);
    if (!best || rss < best.rss) best = { x: full, rss };
  }
  return best?.x ?? Array<number>(k).fill(0);
}

/** Normal equations solved by Gaussian elimination with partial pivoting; undefined when singular. */
function solveLeastSquares(a: readonly (readonly number[])[], y: readonly number[]): number[] | undefined {
  const k = a[0]!.length;
  // Columns scaled to unit size so the bytes-sized and count-sized columns condition alike.
  const scale = [...Array(k).keys()].map((j) => Math.sqrt(a.reduce((s, r) => s + r[j]! ** 2, 0)) || 1);
  const m = [...Array(k).keys()].map((i) => [
    ...[...Array(k).keys()].map((j) => a.reduce((s, r) => s + (r[i]! / scale[i]!) * (r[j]! / scale[j]!), 0)),
    a.reduce((s, r, n) => s + (r[i]! / scale[i]!) * y[n]!, 0),
  ]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let j = c; j <= k; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return [...Array(k).keys()].map((i) => m[i]![k]! / m[i]![i]! / scale[i]!);
}

/** Hooke–Jeeves pattern search within bounds: deterministic, derivative-free (the round count is a step function). */
function patternSearch(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  step0: readonly number[],
  lo: readonly number[],
  hi: readonly number[],
  maxEvals = 20000,
): number[] {
  const clamp = (v: number, i: number) => Math.min(hi[i]!, Math.max(lo[i]!, v));
  let x = x0.map(clamp);
  let fx = f(x);
  const step = [...step0];
  let evals = 1;
  while (evals < maxEvals && step.some((s, i) => s > step0[i]! * 1e-7)) {
    let improved = false;
    for (let i = 0; i < x.length; i++) {
      for (const dir of [1, -1]) {
        const y = [...x];
        y[i] = clamp(x[i]! + dir * step[i]!, i);
        if (y[i] === x[i]) continue;
        const fy = f(y);
        evals += 1;
        if (fy < fx) {
          x = y;
          fx = fy;
          improved = true;
          step[i] = step[i]! * 2;
          break;
        }
      }
    }
    if (!improved) for (let i = 0; i < step.length; i++) step[i] = step[i]! / 2;
  }
  return x;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Fits the model to the rows. Throws PrecopyFitError with fewer than MIN_FIT_ROWS rows. */
export function fitPrecopy(rows: readonly PrecopyObservation[]): PrecopyFit {
  if (rows.length < MIN_FIT_ROWS)
    throw new PrecopyFitError(`pre-copy fit: got ${rows.length} usable migrations; need at least ${MIN_FIT_ROWS} (7 parameters, with rows to spare)`);
  // 1. Wire bytes from QEMU's page counts.
  const [pageOverheadBytes, zeroPageBytes, fixedBytes] = nonNegativeLeastSquares(
    rows.map((o) => [o.measured.normalPages, o.measured.zeroPages, 1]),
    rows.map((o) => o.measured.bytes - PAGE * o.measured.normalPages),
  ) as [number, number, number];
  // 2. Link efficiency, setup time, zero-page scan time and the guest's resident memory, on time and bytes.
  const fitOf = (x: readonly number[]): PrecopyFit => ({
    params: { linkEfficiency: x[0]!, setupMs: x[1]!, zeroPageUs: x[2]!, pageOverheadBytes, zeroPageBytes, fixedBytes, extraSyncs: 0 },
    guestResidentMiB: x[3]!,
  });
  const loss = (x: readonly number[]): number => {
    const fit = fitOf(x);
    let s = 0;
    for (const o of rows) {
      const e = predict(o, fit);
      s += Math.log((e.timeS * 1000) / o.measured.timeMs) ** 2 + Math.log(e.trafficBytes / o.measured.bytes) ** 2;
    }
    return s;
  };
  const x = patternSearch(loss, [0.8, 100, 1, 64], [0.1, 100, 1, 32], [0.05, 0, 0, 0], [1.5, 10000, 1000, 65536]);
  const base = fitOf(x);
  // 3. Syncs beyond one per round.
  const extraSyncs = median(rows.map((o) => o.measured.iterations - predict(o, base).rounds));
  return { ...base, params: { ...base.params, extraSyncs } };
}

/** |predicted ÷ measured − 1| summarised over rows. */
function stats(pairs: readonly (readonly [number, number])[]): ErrorStats {
  const errs = pairs.map(([p, m]) => Math.abs(p / m - 1));
  return { median: median(errs), max: Math.max(...errs) };
}

export function errorSummary(
  rows: readonly PrecopyObservation[],
  preds: readonly Pick<RowPrediction, 'timeMs' | 'bytes' | 'iterations'>[],
): ErrorSummary {
  return {
    n: rows.length,
    timeMs: stats(rows.map((o, i) => [preds[i]!.timeMs, o.measured.timeMs])),
    bytes: stats(rows.map((o, i) => [preds[i]!.bytes, o.measured.bytes])),
    iterations: stats(rows.map((o, i) => [preds[i]!.iterations, o.measured.iterations])),
  };
}

function predictionOf(o: PrecopyObservation, fit: PrecopyFit, fold: number): RowPrediction {
  const e = predict(o, fit);
  return { id: o.id, load: o.load, fold, timeMs: e.timeS * 1000, bytes: e.trafficBytes, iterations: e.iterations };
}

/** The error of a fit on the rows it was fitted on (in-sample; optimistic by construction). */
export function inSampleError(rows: readonly PrecopyObservation[], fit: PrecopyFit): ErrorSummary {
  return errorSummary(
    rows,
    rows.map((o) => predictionOf(o, fit, 0)),
  );
}

/** The textbook model's error on the same rows (it has nothing to fit: all of memory, every round, at the nominal rate). */
export function textbookError(rows: readonly PrecopyObservation[]): ErrorSummary {
  return errorSummary(
    rows,
    rows.map((o) => {
      const e = estimatePrecopy({
        memoryBytes: o.memoryBytes,
        dirtyBytesPerS: o.dirtyBytesPerS,
        bandwidthBytesPerS: o.linkBytesPerS,
        downtimeMs: o.downtimeMs,
      });
      return { timeMs: e.timeS * 1000, bytes: e.trafficBytes, iterations: e.rounds };
    }),
  );
}

/**
 * k-fold cross-validation: row i is in fold i mod k; each fold is predicted by a fit on the other folds only.
 * @param folds @default leave-one-out up to 60 rows, else 10
 */
export function crossValidate(rows: readonly PrecopyObservation[], folds?: number): CrossValidation {
  const k = folds ?? (rows.length <= 60 ? rows.length : 10);
  if (!Number.isInteger(k) || k < 2 || k > rows.length)
    throw new PrecopyFitError(`cross-validation: got ${k} folds for ${rows.length} rows; allowed: an integer in [2, ${rows.length}]`);
  if (rows.length - Math.ceil(rows.length / k) < MIN_FIT_ROWS)
    throw new PrecopyFitError(
      `cross-validation: got ${rows.length} usable migrations; need at least ${MIN_FIT_ROWS + Math.ceil(rows.length / k)} so that each fold is fitted on ${MIN_FIT_ROWS}`,
    );
  const predictions: RowPrediction[] = Array(rows.length);
  for (let f = 0; f < k; f++) {
    const fit = fitPrecopy(rows.filter((_, i) => i % k !== f));
    rows.forEach((o, i) => {
      if (i % k === f) predictions[i] = predictionOf(o, fit, f);
    });
  }
  const byLoad: Record<string, ErrorSummary> = {};
  for (const load of [...new Set(rows.map((o) => o.load))].sort()) {
    const idx = rows.map((o, i) => (o.load === load ? i : -1)).filter((i) => i >= 0);
    byLoad[load] = errorSummary(
      idx.map((i) => rows[i]!),
      idx.map((i) => predictions[i]!),
    );
  }
  return { method: k === rows.length ? 'leave-one-out' : 'k-fold', folds: k, predictions, overall: errorSummary(rows, predictions), byLoad };
}
