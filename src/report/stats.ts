/** The few statistics the report uses, on finite values only (NaN = not measured). Pure. */

export interface Spread {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export const EMPTY_SPREAD: Spread = { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };

export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return EMPTY_SPREAD;
  return { n: v.length, median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

/**
 * B ÷ A as the ratio of the medians, with its spread: the smallest and largest ratio any B
 * measurement can make with any A measurement (min B ÷ max A … max B ÷ min A).
 */
export interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function ratioOf(b: Spread, a: Spread): Ratio {
  if (!(b.n > 0 && a.n > 0 && a.min > 0)) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: b.median / a.median, min: b.min / a.max, max: b.max / a.min };
}
