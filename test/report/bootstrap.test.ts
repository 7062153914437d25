import { bootstrapRatioOfMeans, mulberry32, quantileSorted, seedOf } from '../../src/report/bootstrap.js';

/** n draws of a log-normal with median m and shape s (Box–Muller over the seeded PRNG): skewed and positive, like migration times. */
function lognormal(rand: () => number, n: number, m: number, s: number): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return m * Math.exp(s * z);
  });
}

describe('the seeded PRNG', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
  });

  it('is uniform in [0, 1): 100 000 draws have mean ½ and each tenth holds a tenth of them', () => {
    const r = mulberry32(1);
    const bins = new Array(10).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100000; i++) {
      const x = r();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      bins[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    expect(sum / 100000).toBeCloseTo(0.5, 2);
    for (const n of bins) expect(Math.abs(n - 10000)).toBeLessThan(400);
  });

  it('seeds each label differently', () => {
    expect(seedOf('migration time, small, load none')).not.toBe(seedOf('migration time, small, load memory'));
    expect(seedOf('x')).toBe(seedOf('x'));
    expect(seedOf('x', 1)).not.toBe(seedOf('x', 2));
  });
});

describe('quantiles of sorted values', () => {
  it('interpolates linearly between order statistics', () => {
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([10, 20], 0.025)).toBeCloseTo(10.25, 12);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});

describe('the bootstrap 95 % interval of a ratio of means', () => {
  it('excludes 1 when B is about twice A, and holds the true ratio 2', () => {
    const a = [10, 11, 9, 10.5, 9.5];
    const b = [20, 21.5, 19, 20.5, 19.5];
    const r = bootstrapRatioOfMeans(b, a);
    expect(r.kind).toBe('interval');
    if (r.kind !== 'interval') return;
    expect(r.estimate).toBeCloseTo(100.5 / 50, 12);
    expect(r.lo).toBeGreaterThan(1.8);
    expect(r.hi).toBeLessThan(2.2);
    expect(r.lo).toBeLessThan(2);
    expect(r.hi).toBeGreaterThan(2);
    expect(r.containsOne).toBe(false);
  });

  it('contains 1 when both sides are the same values in another order', () => {
    const r = bootstrapRatioOfMeans([11, 9, 10, 12, 8], [10, 12, 8, 11, 9]);
    expect(r.kind === 'interval' && r.containsOne).toBe(true);
    expect(r.kind === 'interval' && r.estimate).toBe(1);
  });

  it('gives only ratios the resamples can reach: B = {1, 3}, A = {1, 1} spans exactly 1 … 3', () => {
    // resampled means of B are 1, 2 or 3 (¼, ½, ¼); A's mean is always 1
    const r = bootstrapRatioOfMeans([1, 3], [1, 1]);
    expect(r).toMatchObject({ kind: 'interval', lo: 1, hi: 3, estimate: 2, containsOne: true, nB: 2, nA: 2 });
  });

  it('is the same for the same data and seed, and moves (a little) with another seed', () => {
    const rand = mulberry32(3);
    const a = lognormal(rand, 8, 10, 0.3);
    const b = lognormal(rand, 8, 12, 0.3);
    const one = bootstrapRatioOfMeans(b, a, { seed: 42 });
    expect(bootstrapRatioOfMeans(b, a, { seed: 42 })).toEqual(one);
    const other = bootstrapRatioOfMeans(b, a, { seed: 43 });
    expect(other).not.toEqual(one);
    if (one.kind !== 'interval' || other.kind !== 'interval') throw new Error('expected intervals');
    expect(Math.abs(other.lo - one.lo)).toBeLessThan(0.03);
    expect(Math.abs(other.hi - one.hi)).toBeLessThan(0.03);
  });

  it('covers the true ratio about 95 % of the time (300 simulated pairs of 20 log-normal samples, true ratio 1.25)', () => {
    // the mean of a log-normal is m·exp(s²/2): with the same shape, the true ratio of means is the ratio of medians
    const rand = mulberry32(2026);
    let covered = 0;
    let withOne = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const a = lognormal(rand, 20, 10, 0.15);
      const b = lognormal(rand, 20, 12.5, 0.15);
      const r = bootstrapRatioOfMeans(b, a, { resamples: 2000, seed: t });
      if (r.kind !== 'interval') throw new Error('expected an interval');
      if (r.lo <= 1.25 && r.hi >= 1.25) covered++;
      if (r.containsOne) withOne++;
    }
    // binomial(300, 0.95) lies within 0.90 … 0.99 with overwhelming probability; a broken interval (too wide or too narrow) does not
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.99);
    // with a spread of about 15 % and 20 repetitions, a 25 % difference is almost always measurable (about 4.7 standard errors)
    expect(withOne / trials).toBeLessThan(0.05);
  });

  it('refuses with fewer than 2 repetitions on a side, counting only measured values', () => {
    expect(bootstrapRatioOfMeans([5], [4, 4.2])).toEqual({
      kind: 'refused',
      nB: 1,
      nA: 2,
      reason: 'too few repetitions to bootstrap (1 and 2; needs 2 per backend)',
    });
    expect(bootstrapRatioOfMeans([5, Number.NaN], [4, 4.2]).kind).toBe('refused');
    expect(bootstrapRatioOfMeans([], []).kind).toBe('refused');
    expect(bootstrapRatioOfMeans([1, 2, 3], [4, 5, 6], { minPerSide: 4 }).kind).toBe('refused');
  });

  it('refuses a ratio over a denominator that is not positive', () => {
    expect(bootstrapRatioOfMeans([1, 2], [0, 1])).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/not positive/) });
  });

  it('fails on settings that make no interval', () => {
    expect(() => bootstrapRatioOfMeans([1, 2], [1, 2], { resamples: 10 })).toThrow('bootstrap: resamples 10; allowed: an integer ≥ 100');
    expect(() => bootstrapRatioOfMeans([1, 2], [1, 2], { level: 95 })).toThrow(/level 95; allowed: a number between 0 and 1/);
    expect(() => bootstrapRatioOfMeans([1, 2], [1, 2], { minPerSide: 1 })).toThrow(/minPerSide 1/);
  });
});
