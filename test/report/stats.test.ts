import { lowerBoundMs, overBound, toMigrationRow, toCsv } from '../../src/experiments/results.js';
import { median, ratioOf, spread } from '../../src/report/stats.js';

describe('the physical lower bound', () => {
  it('is bytes sent ÷ link bandwidth: 125 MB on 1 Gbit/s take 1 s', () => {
    expect(lowerBoundMs(125e6, 1000)).toBe(1000);
    expect(lowerBoundMs(60e6, 480)).toBe(1000);
  });

  it('is NaN when bytes or bandwidth are unknown', () => {
    expect(lowerBoundMs(Number.NaN, 1000)).toBeNaN();
    expect(lowerBoundMs(1e6, 0)).toBeNaN();
  });

  it('gives total ÷ bound, NaN without a bound', () => {
    expect(overBound(1030, 1000)).toBeCloseTo(1.03, 10);
    expect(overBound(1030, Number.NaN)).toBeNaN();
  });

  it('is filled into a migration row, and total ÷ bound only for a completed migration', () => {
    const rec = {
      vm: 'v',
      flavor: 'small',
      pool: 'bluestore',
      load: 'none' as const,
      rep: 1,
      source: 'a',
      target: 'b',
      status: 'completed' as const,
      total_ms: 701,
      setup_ms: 5,
      downtime_ms: 41,
      downtime_real_ms: 61,
      transferred_bytes: 85e6,
      normal_pages: 1,
      zero_pages: 2,
      iterations: 3,
      link_mbit: 1000,
      pattern_verified: true,
      raw: { big: 'stats' },
    };
    const row = toMigrationRow('run', rec, { haproxy_ms: 70, direct_ms: 66 }, new Date(0));
    expect(row).toMatchObject({ lower_bound_ms: 680, probe_gap_haproxy_ms: 70, raw_file: 'raw/migration-bluestore-small-none-r1.json' });
    expect(row.total_over_bound).toBeCloseTo(701 / 680, 10);
    expect(row).not.toHaveProperty('raw');
    expect(
      toMigrationRow('run', { ...rec, status: 'cancelled', reason: 'x' }, { haproxy_ms: 1, direct_ms: 1 }, new Date(0)).total_over_bound,
    ).toBeNaN();
  });
});

describe('medians, spreads and ratios', () => {
  it('takes the median of the finite values only', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('gives n, median, min and max', () => {
    expect(spread([702, 766, 739, Number.NaN])).toEqual({ n: 3, median: 739, min: 702, max: 766 });
  });

  it('gives B ÷ A as the ratio of medians, spread from min B ÷ max A to max B ÷ min A', () => {
    const r = ratioOf(spread([1123, 1243, 1272]), spread([702, 739, 766]));
    expect(r.median).toBeCloseTo(1243 / 739, 12);
    expect(r.min).toBeCloseTo(1123 / 766, 12);
    expect(r.max).toBeCloseTo(1272 / 702, 12);
  });

  it('is NaN when a side has no measurement', () => {
    expect(ratioOf(spread([]), spread([1])).median).toBeNaN();
  });
});

describe('the CSV files', () => {
  it('quote commas and quotes, and leave NaN cells empty', () => {
    expect(toCsv([{ a: 'x, "y"', b: Number.NaN, c: 3 }], ['a', 'b', 'c'])).toBe('a,b,c\n"x, ""y""",,3\n');
  });
});
