/**
 * The pre-copy models (src/policy/precopy.ts), the fit (src/policy/precopy-fit.ts) and the calibration from the
 * lab's results (src/policy/precopy-calibration.ts), on synthetic rows and on the real run in
 * test/fixtures/results-small.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../../src/config/load.js';
import { readRun } from '../../src/experiments/results-store.js';
import type { RunResults } from '../../src/experiments/results.js';
import { estimateFittedPrecopy, estimatePrecopy, type FittedPrecopyParams } from '../../src/policy/precopy.js';
import {
  calibrate,
  calibrationJson,
  choosePrecopy,
  DEFAULT_CALIBRATION_FILE,
  labFactsFromSpec,
  observationsFromRun,
  readCalibration,
} from '../../src/policy/precopy-calibration.js';
import { crossValidate, fitPrecopy, predict, type PrecopyObservation } from '../../src/policy/precopy-fit.js';

const MIB = 1024 * 1024;
const FIXTURE = 'test/fixtures/results-small';

const IDEAL: FittedPrecopyParams = {
  linkEfficiency: 1,
  setupMs: 0,
  pageOverheadBytes: 0,
  zeroPageBytes: 0,
  fixedBytes: 0,
  zeroPageUs: 0,
  extraSyncs: 0,
};

/** Parameters unlike the defaults the search starts from, so that recovering them means something. */
const TRUE: FittedPrecopyParams = {
  linkEfficiency: 0.71,
  setupMs: 240,
  pageOverheadBytes: 12,
  zeroPageBytes: 3,
  fixedBytes: 150_000,
  zeroPageUs: 4,
  extraSyncs: 1,
};
const TRUE_GUEST_MIB = 40;

/** Rows the model itself generates: three sizes, two links, idle and three dirty rates, as the lab's matrix would. */
function syntheticRows(params: FittedPrecopyParams, guestMiB: number): PrecopyObservation[] {
  const rows: PrecopyObservation[] = [];
  for (const ramMiB of [256, 512, 1024])
    for (const mbit of [1000, 400])
      for (const dirtyMiBs of [0, 12, 30, 45]) {
        const o: Omit<PrecopyObservation, 'measured'> = {
          id: `${ramMiB}-${mbit}-${dirtyMiBs}`,
          load: dirtyMiBs > 0 ? 'memory' : 'none',
          memoryBytes: ramMiB * MIB,
          dirtyBytesPerS: dirtyMiBs * MIB,
          workingSetBytes: dirtyMiBs > 0 ? 0.5 * ramMiB * MIB : 0,
          patternBytes: (dirtyMiBs > 0 ? 0.5 : 0.25) * ramMiB * MIB,
          linkBytesPerS: (mbit * 1e6) / 8,
          downtimeMs: 50,
        };
        const e = predict(
          { ...o, measured: { timeMs: 1, bytes: 1, normalPages: 0, zeroPages: 0, iterations: 1 } },
          { params, guestResidentMiB: guestMiB },
        );
        rows.push({
          ...o,
          measured: { timeMs: e.timeS * 1000, bytes: e.trafficBytes, normalPages: e.normalPages, zeroPages: e.zeroPages, iterations: e.iterations },
        });
      }
  return rows;
}

function fixtureObservations(): PrecopyObservation[] {
  const { results, conditions } = readRun(FIXTURE);
  return observationsFromRun(results, conditions, labFactsFromSpec(loadSpec('testbed.yaml').spec)).observations;
}

describe('the fitted pre-copy model', () => {
  it('is the textbook model when every page is resident, the link ideal and nothing costs extra', () => {
    // GIVEN a 1 GiB guest dirtying 30 % of a 1 Gbit/s link
    const input = { memoryBytes: 1024 * MIB, dirtyBytesPerS: 0.3 * 125e6, bandwidthBytesPerS: 125e6, downtimeMs: 300 };
    // WHEN both models estimate it
    const textbook = estimatePrecopy(input);
    const fitted = estimateFittedPrecopy(input, IDEAL);
    // THEN they agree on traffic, time and rounds
    expect(fitted.trafficBytes).toBeCloseTo(textbook.trafficBytes, -1);
    expect(fitted.timeS).toBeCloseTo(textbook.timeS, 9);
    expect(fitted.rounds).toBe(textbook.rounds);
    expect(fitted.converges).toBe(textbook.converges);
  });

  it('sends zero pages as a few bytes each: an idle guest with a quarter of its memory resident moves about a quarter', () => {
    const memoryBytes = 512 * MIB;
    const e = estimateFittedPrecopy(
      { memoryBytes, residentBytes: memoryBytes / 4, workingSetBytes: 0, dirtyBytesPerS: 0, bandwidthBytesPerS: 125e6, downtimeMs: 50 },
      { ...IDEAL, pageOverheadBytes: 8, zeroPageBytes: 9 },
    );
    expect(e.normalPages).toBe(32768);
    expect(e.zeroPages).toBe(98304);
    expect(e.trafficBytes).toBe(32768 * (4096 + 8) + 98304 * 9);
  });

  it('resends at most the working set per round, so a guest dirtying faster than the link still has bounded traffic', () => {
    // GIVEN a guest dirtying twice the link's rate, in a 64 MiB working set of its 1 GiB
    const input = { memoryBytes: 1024 * MIB, dirtyBytesPerS: 250e6, bandwidthBytesPerS: 125e6, downtimeMs: 50, maxRounds: 30 };
    const bounded = estimateFittedPrecopy({ ...input, workingSetBytes: 64 * MIB }, IDEAL);
    // THEN it does not converge, but each of the 29 later rounds resends 64 MiB, not all of memory as the textbook has it
    expect(bounded.converges).toBe(false);
    expect(bounded.trafficBytes).toBeCloseTo(1024 * MIB + 30 * 64 * MIB, -3);
    expect(estimatePrecopy(input).trafficBytes).toBeCloseTo(31 * 1024 * MIB, -3);
  });

  it('adds the setup time, the fixed bytes and the extra syncs once per migration', () => {
    const input = { memoryBytes: 256 * MIB, dirtyBytesPerS: 0, bandwidthBytesPerS: 125e6, downtimeMs: 50 };
    const base = estimateFittedPrecopy(input, IDEAL);
    const more = estimateFittedPrecopy(input, { ...IDEAL, setupMs: 100, fixedBytes: 1000, extraSyncs: 2 });
    expect(more.timeS - base.timeS).toBeCloseTo(0.1, 9);
    expect(more.trafficBytes - base.trafficBytes).toBe(1000);
    expect(more.iterations - base.iterations).toBe(2);
  });
});

describe('fitting the pre-copy model', () => {
  it('recovers the parameters that generated synthetic rows', () => {
    // GIVEN rows generated by the model itself with known parameters
    const rows = syntheticRows(TRUE, TRUE_GUEST_MIB);
    // WHEN it is fitted to them
    const fit = fitPrecopy(rows);
    // THEN every parameter comes back
    expect(fit.params.linkEfficiency).toBeCloseTo(TRUE.linkEfficiency, 3);
    expect(fit.params.setupMs).toBeCloseTo(TRUE.setupMs, 0);
    expect(fit.params.pageOverheadBytes).toBeCloseTo(TRUE.pageOverheadBytes, 3);
    expect(fit.params.zeroPageBytes).toBeCloseTo(TRUE.zeroPageBytes, 3);
    expect(fit.params.fixedBytes / TRUE.fixedBytes).toBeCloseTo(1, 3);
    expect(fit.params.zeroPageUs).toBeCloseTo(TRUE.zeroPageUs, 1);
    expect(fit.params.extraSyncs).toBe(TRUE.extraSyncs);
    expect(fit.guestResidentMiB).toBeCloseTo(TRUE_GUEST_MIB, 1);
    // AND its held-out error on them is close to nothing
    const cv = crossValidate(rows, 6);
    expect(cv.overall.timeMs.max).toBeLessThan(0.005);
    expect(cv.overall.bytes.max).toBeLessThan(0.005);
  });

  it('predicts a held-out row without it: changing that row does not change its own prediction', () => {
    // GIVEN the lab's rows, cross-validated leave-one-out
    const rows = fixtureObservations();
    const before = crossValidate(rows);
    // WHEN one row's measurements are replaced by nonsense
    const j = 4;
    const changed = rows.map((o, i) =>
      i === j ? { ...o, measured: { ...o.measured, timeMs: o.measured.timeMs * 5, bytes: o.measured.bytes * 3, iterations: 40 } } : o,
    );
    const after = crossValidate(changed);
    // THEN its own prediction is the same (it was not in the fit that predicted it) ...
    expect(after.predictions[j]).toEqual(before.predictions[j]);
    // ... while the predictions of rows whose fits it was in did move
    expect(after.predictions.filter((p, i) => i !== j && p.timeMs !== before.predictions[i]!.timeMs).length).toBeGreaterThan(0);
  });

  it('puts every row in exactly one held-out fold, k-fold as leave-one-out', () => {
    const rows = syntheticRows(TRUE, TRUE_GUEST_MIB);
    const cv = crossValidate(rows, 4);
    expect(cv.method).toBe('k-fold');
    expect(cv.predictions.map((p) => p.fold)).toEqual(rows.map((_, i) => i % 4));
    expect(cv.byLoad.none!.n + cv.byLoad.memory!.n).toBe(rows.length);
  });

  it('fails with too few rows, naming how many it got and needs', () => {
    expect(() => fitPrecopy(syntheticRows(TRUE, TRUE_GUEST_MIB).slice(0, 3))).toThrowErrorMatchingInlineSnapshot(
      `[PrecopyFitError: pre-copy fit: got 3 usable migrations; need at least 6 (7 parameters, with rows to spare)]`,
    );
  });
});

describe('the calibration from the lab', () => {
  it('re-fitting the fixture reproduces the committed default calibration, byte for byte', () => {
    const { results, conditions } = readRun(FIXTURE);
    const { file } = calibrate(FIXTURE, results, conditions, labFactsFromSpec(loadSpec('testbed.yaml').spec));
    expect(calibrationJson(file)).toBe(readFileSync(DEFAULT_CALIBRATION_FILE, 'utf8'));
  });

  it('beats the textbook model on held-out migrations of the lab', () => {
    const c = readCalibration(DEFAULT_CALIBRATION_FILE);
    expect(c.source.rows).toBe(24);
    expect(c.held_out.method).toBe('leave-one-out');
    expect(c.held_out.overall.timeMs.median).toBeLessThan(c.textbook.timeMs.median / 2);
    expect(c.held_out.overall.bytes.median).toBeLessThan(c.textbook.bytes.median / 2);
    // QEMU's own wire format: an 8-byte header per page, and 9 bytes for a zero page
    expect(c.params.pageOverheadBytes).toBeCloseTo(8, 0);
    expect(c.params.zeroPageBytes).toBeCloseTo(9, 0);
  });

  it('lists the rows it cannot use, with why, instead of dropping them', () => {
    const { results, conditions } = readRun(FIXTURE);
    const run: RunResults = {
      ...results,
      migrations: results.migrations.map((m, i) =>
        i === 0
          ? { ...m, status: 'failed' as const }
          : i === 1
            ? { ...m, flavor: 'huge' }
            : i === 3
              ? { ...m, dirty_rate_guest_mib_s: Number.NaN }
              : m,
      ),
    };
    const { observations, skipped } = observationsFromRun(run, conditions, labFactsFromSpec(loadSpec('testbed.yaml').spec));
    expect(observations).toHaveLength(21);
    expect(skipped).toEqual([
      { migration: 'filestore-small-none-r1', reason: 'status failed' },
      { migration: 'filestore-huge-none-r2', reason: 'flavor "huge" has no lab RAM in conditions.json or the spec' },
      { migration: 'filestore-small-memory-r1', reason: 'memory load without the guest dirtier’s rate (dirty_rate_guest_mib_s)' },
    ]);
  });

  it('refuses a calibration file with bad parameters, naming the key, the value and the range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'precopy-'));
    try {
      const bad = JSON.parse(readFileSync(DEFAULT_CALIBRATION_FILE, 'utf8'));
      bad.params.linkEfficiency = 7;
      delete bad.params.setupMs;
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify(bad));
      expect(() => readCalibration(f, 'bad.json')).toThrowErrorMatchingInlineSnapshot(`
        [CalibrationError: bad.json: not a pre-copy calibration:
        - params.linkEfficiency: got 7; allowed: a number in [0.01, 1.5]
        - params.setupMs: got undefined; allowed: a number in [0, 1000000]]
      `);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the model it chose in one line, with the held-out error of a fitted one', () => {
    expect(choosePrecopy('textbook').summary).toMatch(/^pre-copy model: textbook \(.*not calibrated/);
    const fitted = choosePrecopy(undefined);
    expect(fitted.model.kind).toBe('fitted');
    expect(fitted.summary).toMatch(
      /^pre-copy model: fitted \(src\/policy\/precopy-calibration\.json: 24 migrations of 2026-12-01T22-31-36Z-7908\); held-out error \(leave-one-out\) median\/max: time \d+\.\d %\/\d+\.\d %, bytes \d+\.\d %\/\d+\.\d %$/,
    );
  });
});
