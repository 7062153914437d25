import { testbedSpecSchema } from '../../src/config/schema.js';
import type { Conditions } from '../../src/experiments/conditions.js';
import { spread } from '../../src/report/stats.js';
import { STUDY_CLAIMS, STUDY_FLAVOR_RAM_GIB, STUDY_LINK_MBIT, STUDY_TABLE_IV, studyTimeFor } from '../../src/report/study.js';
import { allMemoryBoundS, carriableShare, checkStudyFigure, compareWithStudy, pctBound, whyOursDiffers } from '../../src/report/study-compare.js';
import type { MigrationCellSummary } from '../../src/report/summarize.js';

/** A Table IV cell with only what the comparison reads; every other field is empty. */
function cellOf(p: {
  flavor: string;
  backend: string;
  load: string;
  ramMib: number;
  totalMs: number[];
  overBound: number[];
  mb: number[];
  touched?: number[];
}) {
  const empty = spread([]);
  return {
    run: 'r',
    pool: p.backend,
    backend: p.backend,
    flavor: p.flavor,
    load: p.load,
    ok: p.totalMs.length,
    failed: 0,
    reasons: [],
    unverified: 0,
    total: spread(p.totalMs),
    downtimeQemu: empty,
    downtimeReal: empty,
    probeHaproxy: empty,
    probeDirect: empty,
    bound: empty,
    overBound: spread(p.overBound),
    transferredMB: spread(p.mb),
    verifiedPages: empty,
    verifiedBlocks: empty,
    verifyMs: empty,
    unchecked: 0,
    finalDowntimeLimit: empty,
    guestRamMib: p.ramMib,
    touchedShare: spread(p.touched ?? []),
    dirtyRateGuest: spread([64]),
    samples: { total: p.totalMs, downtimeReal: [] },
    diskIo: {
      before: { iops: empty, mibS: empty, latMean: empty, latP99: empty },
      during: { iops: empty, mibS: empty, latMean: empty, latP99: empty },
      after: { iops: empty, mibS: empty, latMean: empty, latP99: empty },
    },
    verifiedLoadBlocks: empty,
    switchover: { inflight: empty, drainFlushMs: empty, inactivateMs: empty, share: empty, notMeasured: [] },
  } satisfies MigrationCellSummary;
}

const conditions = (accel: Conditions['accel'], mbit: number) => ({ accel, link: { mbit, shaping: 'tc tbf' } }) as unknown as Conditions;

describe('the physical bounds at the study’s sizes', () => {
  it('needs 137.4 s to send 16 GiB over 1 GbE, and 34.4 s for 4 GiB', () => {
    expect(allMemoryBoundS(16)).toBeCloseTo((16 * 2 ** 30 * 8) / 1e9, 9);
    expect(allMemoryBoundS(16)).toBeCloseTo(137.44, 2);
    expect(allMemoryBoundS(4)).toBeCloseTo(34.36, 2);
    expect(allMemoryBoundS(16, 10000)).toBeCloseTo(13.74, 2);
  });

  it('lets 5 s on 1 GbE carry 625 MB, 3.64 % of 16 GiB', () => {
    expect(carriableShare(5, 16)).toBeCloseTo(625e6 / 2 ** 34, 12);
    expect(carriableShare(5, 16)).toBeCloseTo(0.0364, 4);
  });

  it('rounds "at most" up and "at least" down', () => {
    expect(pctBound(0.03638, 'up')).toBe('3.7 %');
    expect(pctBound(1 - 0.03638, 'down')).toBe('96.3 %');
    expect(pctBound(0.3274, 'up')).toBe('33 %');
    expect(pctBound(0.6726, 'down')).toBe('67 %');
    expect(pctBound(0.5, 'up')).toBe('50 %');
  });

  it('rules out a time below the all-memory bound and says how much of the memory must have been zero', () => {
    const c = checkStudyFigure(STUDY_CLAIMS[0]!);
    expect(c).toMatchObject({ ramGib: 16, belowAllMemoryBound: true });
    expect(c.text).toContain('16 GiB need at least 137 s on 1 GbE');
    expect(c.text).toContain('at least 96.3 % of the guest');
    // a made-up time above the bound, to show the other branch: nothing is ruled out
    expect(checkStudyFigure({ ...STUDY_CLAIMS[0]!, loS: 150, hiS: 150 }).belowAllMemoryBound).toBe(false);
  });
});

describe("the study's values", () => {
  it('each name where they come from, and are XL times only', () => {
    for (const v of [...STUDY_TABLE_IV, ...STUDY_CLAIMS]) {
      expect(v.source.where).toMatch(/^issue 13/);
      expect(v.source.quote).toContain(`${v.hiS} s`);
      expect(v.loS).toBeLessThanOrEqual(v.hiS);
    }
    expect(new Set(STUDY_TABLE_IV.map((v) => v.flavor))).toEqual(new Set(['xlarge']));
  });

  it("take the flavor RAM from the spec's defaults, which agree with issue 13's 16 GB XL VM", () => {
    const defaults = testbedSpecSchema.parse({}).flavors;
    expect(STUDY_FLAVOR_RAM_GIB).toEqual(Object.fromEntries(Object.entries(defaults).map(([f, d]) => [f, d.ram_gb])));
    expect(STUDY_FLAVOR_RAM_GIB.xlarge).toBe(16);
    expect(STUDY_LINK_MBIT).toBe(1000);
  });

  it('stand beside every load of their flavor and backend (the study does not say its load), and nowhere else', () => {
    expect(studyTimeFor('xlarge', 'filestore', 'none')).toMatchObject({ loS: 30, hiS: 45 });
    expect(studyTimeFor('xlarge', 'bluestore', 'memory')).toMatchObject({ loS: 22, hiS: 35 });
    expect(studyTimeFor('large', 'filestore', 'none')).toBeUndefined();
    expect(studyTimeFor('xlarge', 'ceph-pool-x', 'none')).toBeUndefined();
  });
});

describe('the sentence on why ours differs', () => {
  it("is built from the run's conditions: scaled RAM, TCG, the same link rate, and a link-bound time", () => {
    const c = cellOf({
      flavor: 'xlarge',
      backend: 'filestore',
      load: 'none',
      ramMib: 2048,
      totalMs: [1200, 1300, 1250],
      overBound: [1.06],
      mb: [150],
    });
    expect(whyOursDiffers(c, conditions('tcg', 1000), 16, studyTimeFor('xlarge', 'filestore', 'none'))).toBe(
      "Ours is 0.028–0.042× the study's 30–45 s: our xlarge guest has 2048 MiB (1/8 of the study's 16 GiB), ran under TCG (emulated CPU, no KVM) " +
        "on a 1000 Mbit/s link, the study's 1 GbE rate, and took 1.06× the time its own 150 MB need on that link, so the link set its time and the scaled RAM is the main difference.",
    );
  });

  it('says so when the hosts, not the link, set the time, and names another link rate and KVM', () => {
    const c = cellOf({ flavor: 'small', backend: 'bluestore', load: 'memory', ramMib: 256, totalMs: [9000], overBound: [3.1], mb: [400] });
    const s = whyOursDiffers(c, conditions('kvm', 10000), 4);
    expect(s).toBe(
      "The study gives no value here; our small guest has 256 MiB (1/16 of the study's 4 GiB), ran under KVM on a 10000 Mbit/s link, 10× the study's 1 GbE, " +
        "with its memory load at 64 MiB/s (the guest's report), and took 3.1× the time its own 400 MB need on that link, so the hosts, not the link, set much of its time.",
    );
  });

  it('says what the run did not record', () => {
    const c = cellOf({ flavor: 'small', backend: 'bluestore', load: 'none', ramMib: Number.NaN, totalMs: [900], overBound: [], mb: [] });
    expect(whyOursDiffers(c, null, 4)).toBe(
      "The study gives no value here; our small guest's RAM is not recorded, ran on an accelerator the run did not record on a link the run did not record.",
    );
  });
});

describe('a cell beside the study', () => {
  it("gives ours ÷ the study's over its range, both bounds, and the verdict under our guest's working set", () => {
    const c = cellOf({
      flavor: 'xlarge',
      backend: 'bluestore',
      load: 'none',
      ramMib: 2048,
      totalMs: [1400],
      overBound: [1.1],
      mb: [170],
      touched: [0.1, 0.12, 0.14],
    });
    const s = compareWithStudy(c, conditions('tcg', 1000));
    expect(s.oursOverStudy!.lo).toBeCloseTo(1.4 / 35, 12);
    expect(s.oursOverStudy!.hi).toBeCloseTo(1.4 / 22, 12);
    expect(s.boundAllS).toBeCloseTo(137.44, 2);
    expect(s.boundTouchedS).toBeCloseTo(0.12 * 137.44, 2);
    // 16.5 s lies below 22 s: with a guest that touched only 12 %, the study's range is possible
    expect(s.verdict).toBe(
      "The study's 22–35 s is below the 137 s all memory needs: ruled out unless zero pages were skipped or compressed; " +
        'skipping zero pages of a guest that touched 12 % (as ours did) needs 16 s: possible.',
    );
  });

  it('has no verdict and no ratio where the study gives no value', () => {
    const s = compareWithStudy(
      cellOf({ flavor: 'medium', backend: 'filestore', load: 'none', ramMib: 512, totalMs: [2000], overBound: [1.2], mb: [212], touched: [0.38] }),
      conditions('tcg', 1000),
    );
    expect(s.study).toBeUndefined();
    expect(s.oursOverStudy).toBeUndefined();
    expect(s.verdict).toBeUndefined();
    expect(s.boundAllS).toBeCloseTo(68.72, 2);
  });
});
