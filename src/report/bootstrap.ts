/**
 * A percentile-bootstrap confidence interval for B ÷ A, the ratio of two independent samples' means
 * (Bluestore ÷ Filestore in the report). Pure and deterministic: the same data and seed give the
 * same interval, so the same run gives the same report.
 *
 * Why the ratio of means and not of medians: a cell has 3 to 20 repetitions. The bootstrap
 * distribution of a sample median then takes only a handful of values (the sample's own middle
 * order statistics), so its percentile interval is coarse and jumps with one repetition more or
 * less; the resampled mean moves smoothly, and for positive times and rates the percentile interval
 * of the ratio of means is the textbook case (Efron & Tibshirani, An Introduction to the Bootstrap,
 * ch. 13). The median stays the report's robust point figure; the interval is about the means.
 *
 * Each resample draws, with replacement, nB values from B and, independently, nA values from A
 * (the backends' repetitions are independent experiments; nothing pairs rep 1 of one with rep 1
 * of the other). The interval is the (1 − level)/2 and (1 + level)/2 quantiles of the resampled
 * ratios (linear interpolation between order statistics).
 *
 * Caveat, said in the report too: with very few repetitions (under 5 per side) the percentile
 * bootstrap's interval is narrower than a true 95 % interval; it only sees the spread the few
 * repetitions happened to show.
 */

import { seededRandom } from '../util/index.js';

/** The seeded PRNG the bootstrap draws from, under its algorithm's name. */
export { seededRandom as mulberry32 };

/** FNV-1a (32 bit) of a label, mixed with a base seed: each ratio gets its own stream, whatever order the report computes them in. */
export function seedOf(label: string, base = 0): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface BootstrapProps {
  /** Resamples drawn. @default 10000 */
  readonly resamples?: number;
  /** Coverage of the interval. @default 0.95 */
  readonly level?: number;
  /** PRNG seed. @default 1 */
  readonly seed?: number;
  /** Fewest finite values each side needs before an interval is given. @default 2 */
  readonly minPerSide?: number;
}

export type BootstrapResult =
  | {
      readonly kind: 'interval';
      /** mean(B) ÷ mean(A) of the data itself. */
      readonly estimate: number;
      readonly lo: number;
      readonly hi: number;
      readonly level: number;
      readonly resamples: number;
      readonly nB: number;
      readonly nA: number;
      /** The interval contains 1: no measurable difference at this level. */
      readonly containsOne: boolean;
    }
  | {
      /** Too few repetitions on one side, or a ratio that is not defined (a mean of A that is not positive). */
      readonly kind: 'refused';
      readonly nB: number;
      readonly nA: number;
      readonly reason: string;
    };

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/** Linear interpolation between order statistics (R's type 7) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The percentile-bootstrap interval of mean(b) ÷ mean(a); NaN values (not measured) are left out first. */
export function bootstrapRatioOfMeans(b: readonly number[], a: readonly number[], props: BootstrapProps = {}): BootstrapResult {
  const resamples = props.resamples ?? 10000;
  const level = props.level ?? 0.95;
  const minPerSide = props.minPerSide ?? 2;
  if (!Number.isInteger(resamples) || resamples < 100) throw new Error(`bootstrap: resamples ${resamples}; allowed: an integer ≥ 100`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level ${level}; allowed: a number between 0 and 1, e.g. 0.95`);
  if (!Number.isInteger(minPerSide) || minPerSide < 2) throw new Error(`bootstrap: minPerSide ${minPerSide}; allowed: an integer ≥ 2`);
  const B = b.filter(Number.isFinite);
  const A = a.filter(Number.isFinite);
  const nB = B.length;
  const nA = A.length;
  if (nB < minPerSide || nA < minPerSide)
    return { kind: 'refused', nB, nA, reason: `too few repetitions to bootstrap (${nB} and ${nA}; needs ${minPerSide} per backend)` };
  if (A.some((x) => x <= 0)) return { kind: 'refused', nB, nA, reason: 'the ratio is not defined: a denominator value is not positive' };

  const rand = seededRandom(props.seed ?? 1);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sb = 0;
    for (let i = 0; i < nB; i++) sb += B[Math.floor(rand() * nB)]!;
    let sa = 0;
    for (let i = 0; i < nA; i++) sa += A[Math.floor(rand() * nA)]!;
    ratios[r] = sb / nB / (sa / nA);
  }
  ratios.sort();
  const lo = quantileSorted(ratios, (1 - level) / 2);
  const hi = quantileSorted(ratios, (1 + level) / 2);
  return { kind: 'interval', estimate: mean(B) / mean(A), lo, hi, level, resamples, nB, nA, containsOne: lo <= 1 && hi >= 1 };
}
