/**
 * The pre-copy model's calibration (issue 13 §5): the lab's migration rows as the fit's observations, the
 * calibration file `testbed policy calibrate` writes, and reading it back for `testbed policy simulate`.
 *
 * A calibration file holds its provenance (results folder, run ids, rows used and skipped, the conditions
 * that matter), the fitted parameters, the in-sample error and the held-out error. It carries no time
 * stamp: re-fitting the same rows gives the same file, byte for byte (a test checks the committed default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestbedSpec } from '../config/index.js';
import { linkBytesPerS, migrationKey, type Conditions, type RunResults } from '../experiments/index.js';
import { crossValidate, fitPrecopy, inSampleError, textbookError, type ErrorSummary, type PrecopyObservation } from './precopy-fit.js';
import type { FittedPrecopyParams, PrecopyModel } from './precopy.js';

const MIB = 1024 * 1024;
const PAGE = 4096;

export const CALIBRATION_FORMAT = 1;

/** The committed default calibration, fitted from test/fixtures/results-small (regenerate: see docs/policy.md). */
export const DEFAULT_CALIBRATION_FILE = fileURLToPath(new URL('./precopy-calibration.json', import.meta.url));
/** How the default calibration file is named in output and provenance (repository-relative). */
export const DEFAULT_CALIBRATION_NAME = 'src/policy/precopy-calibration.json';

export interface CalibrationFile {
  readonly format: typeof CALIBRATION_FORMAT;
  readonly model: 'fitted';
  readonly source: {
    /** The results folder as it was given to `testbed policy calibrate`. */
    readonly results: string;
    readonly run_ids: readonly string[];
    readonly rows: number;
    /** Rows left out of the fit, each with why. */
    readonly skipped: readonly { readonly migration: string; readonly reason: string }[];
    readonly accel: string | null;
    readonly qemu_version: string | null;
    readonly link: string | null;
    /** The spec's memory load working set, in percent of RAM (not recorded in the results). */
    readonly working_set_pct: number;
  };
  readonly params: FittedPrecopyParams;
  /** The lab guest's resident memory besides its pattern region, MiB (used to predict lab rows only). */
  readonly guest_resident_mib: number;
  /** Error on the rows the parameters were fitted on (optimistic). */
  readonly in_sample: ErrorSummary;
  /** The textbook model's error on the same rows, for comparison (it fits nothing). */
  readonly textbook: ErrorSummary;
  /** Error on rows each fit did not see. */
  readonly held_out: {
    readonly method: string;
    readonly folds: number;
    readonly overall: ErrorSummary;
    readonly by_load: Readonly<Record<string, ErrorSummary>>;
  };
}

/** A bad calibration file or calibration input: names the file, key and what is allowed (exit 2). */
export class CalibrationError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationError';
  }
}

/** What the rows do not say and the spec does. */
export interface LabFacts {
  /** Flavor → lab RAM, MiB (the run's conditions.json wins when it records it). */
  readonly flavorRamMiB: Readonly<Record<string, number>>;
  /** The memory load's working set, percent of RAM. */
  readonly workingSetPct: number;
  /** Downtime limit when a row's schedule does not say, ms. */
  readonly downtimeMs: number;
}

export function labFactsFromSpec(spec: TestbedSpec): LabFacts {
  return {
    flavorRamMiB: Object.fromEntries(Object.entries(spec.flavors).map(([k, f]) => [k, f.lab_ram_mib])),
    workingSetPct: spec.experiments.memory_load.working_set_pct,
    downtimeMs: spec.live_migration.downtime_ms,
  };
}

/** conditions.migration.nova_schedule.<flavor>.ram_mib, when the run recorded it. */
function conditionsRamMiB(conditions: Conditions | null, flavor: string): number | undefined {
  const sched = (conditions?.migration as { nova_schedule?: Record<string, { ram_mib?: unknown }> } | undefined)?.nova_schedule;
  const v = sched?.[flavor]?.ram_mib;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The run's migrations as observations; rows that cannot be used are listed with why, never dropped silently. */
export function observationsFromRun(
  run: RunResults,
  conditions: Conditions | null,
  facts: LabFacts,
): { observations: PrecopyObservation[]; skipped: { migration: string; reason: string }[] } {
  const observations: PrecopyObservation[] = [];
  const skipped: { migration: string; reason: string }[] = [];
  for (const r of run.migrations) {
    const id = migrationKey(r);
    const skip = (reason: string) => skipped.push({ migration: id, reason });
    if (r.status !== 'completed') {
      skip(`status ${r.status}`);
      continue;
    }
    const missing = (['total_ms', 'transferred_bytes', 'normal_pages', 'zero_pages', 'iterations', 'link_mbit'] as const).filter(
      (k) => !finite(r[k]) || r[k] < 0,
    );
    if (missing.length > 0 || !(r.total_ms > 0) || !(r.transferred_bytes > 0) || !(r.link_mbit > 0)) {
      skip(`no QEMU figure for ${missing.length > 0 ? missing.join(', ') : 'total_ms, transferred_bytes or link_mbit (0)'}`);
      continue;
    }
    const ramMiB = conditionsRamMiB(conditions, r.flavor) ?? facts.flavorRamMiB[r.flavor];
    if (!ramMiB) {
      skip(`flavor ${JSON.stringify(r.flavor)} has no lab RAM in conditions.json or the spec`);
      continue;
    }
    const dirtying = r.load.split('+').includes('memory');
    const dirtyMiBs = r.dirty_rate_guest_mib_s;
    if (dirtying && !(finite(dirtyMiBs) && dirtyMiBs >= 0)) {
      skip('memory load without the guest dirtier’s rate (dirty_rate_guest_mib_s)');
      continue;
    }
    const memoryBytes = ramMiB * MIB;
    const limits = (r.nova_schedule ?? []).filter((e) => e.action === 'downtime-limit' && finite(e.value) && e.at_ms <= r.total_ms);
    observations.push({
      id,
      load: r.load,
      memoryBytes,
      dirtyBytesPerS: dirtying ? dirtyMiBs! * MIB : 0,
      workingSetBytes: dirtying ? (facts.workingSetPct / 100) * memoryBytes : 0,
      patternBytes: (r.verified_pages ?? 0) * PAGE,
      linkBytesPerS: linkBytesPerS(r.link_mbit),
      downtimeMs: limits.at(-1)?.value ?? facts.downtimeMs,
      measured: {
        timeMs: r.total_ms,
        bytes: r.transferred_bytes,
        normalPages: r.normal_pages,
        zeroPages: r.zero_pages,
        iterations: r.iterations,
      },
    });
  }
  return { observations, skipped };
}

/** Rounded to `digits` significant digits, so the file reads well and compares exactly. */
function sig(x: number, digits = 6): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

function roundSummary(s: ErrorSummary): ErrorSummary {
  const r = (e: { median: number; max: number }) => ({ median: sig(e.median, 4), max: sig(e.max, 4) });
  return { n: s.n, timeMs: r(s.timeMs), bytes: r(s.bytes), iterations: r(s.iterations) };
}

/** Fits a run's migrations and builds the calibration file (pure: the caller read the run). */
export function calibrate(
  resultsLabel: string,
  run: RunResults,
  conditions: Conditions | null,
  facts: LabFacts,
  folds?: number,
): { file: CalibrationFile; observations: PrecopyObservation[] } {
  const { observations, skipped } = observationsFromRun(run, conditions, facts);
  if (observations.length === 0)
    throw new CalibrationError(
      `${resultsLabel}: no usable migrations (${run.migrations.length} rows, ${skipped.length} skipped${skipped[0] ? `, e.g. ${skipped[0].migration}: ${skipped[0].reason}` : ''}); need completed migrations with QEMU's figures`,
    );
  let fit;
  let cv;
  try {
    fit = fitPrecopy(observations);
    cv = crossValidate(observations, folds);
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode === 2) throw new CalibrationError(`${resultsLabel}: ${(e as Error).message}`);
    throw e;
  }
  const p = fit.params;
  const file: CalibrationFile = {
    format: CALIBRATION_FORMAT,
    model: 'fitted',
    source: {
      results: resultsLabel,
      run_ids: [...new Set(run.migrations.map((m) => m.run_id))].sort(),
      rows: observations.length,
      skipped,
      accel: conditions?.accel ?? null,
      qemu_version: conditions?.qemu_version ?? null,
      link: conditions ? `${conditions.link.mbit} Mbit/s, ${conditions.link.shaping}` : null,
      working_set_pct: facts.workingSetPct,
    },
    params: {
      linkEfficiency: sig(p.linkEfficiency),
      setupMs: sig(p.setupMs),
      pageOverheadBytes: sig(p.pageOverheadBytes),
      zeroPageBytes: sig(p.zeroPageBytes),
      fixedBytes: sig(p.fixedBytes),
      zeroPageUs: sig(p.zeroPageUs),
      extraSyncs: sig(p.extraSyncs),
    },
    guest_resident_mib: sig(fit.guestResidentMiB),
    in_sample: roundSummary(inSampleError(observations, fit)),
    textbook: roundSummary(textbookError(observations)),
    held_out: {
      method: cv.method,
      folds: cv.folds,
      overall: roundSummary(cv.overall),
      by_load: Object.fromEntries(Object.entries(cv.byLoad).map(([k, v]) => [k, roundSummary(v)])),
    },
  };
  return { file, observations };
}

export function calibrationJson(file: CalibrationFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

const PARAM_RANGES: Readonly<Record<keyof FittedPrecopyParams, readonly [number, number]>> = {
  linkEfficiency: [0.01, 1.5],
  setupMs: [0, 1e6],
  pageOverheadBytes: [0, 4096],
  zeroPageBytes: [0, 4096],
  fixedBytes: [0, 1e12],
  zeroPageUs: [0, 1e6],
  extraSyncs: [-100, 100],
};

/** Reads a calibration file; every problem names the file, the key, the value and what is allowed. */
export function readCalibration(path: string, name = path): CalibrationFile {
  if (!existsSync(path))
    throw new CalibrationError(`${name}: not found; expected a calibration file written by \`testbed policy calibrate --out FILE\``);
  let doc: CalibrationFile;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as CalibrationFile;
  } catch (e) {
    throw new CalibrationError(`${name}: not valid JSON (${(e as Error).message})`);
  }
  const problems: string[] = [];
  if (doc?.format !== CALIBRATION_FORMAT) problems.push(`format: got ${JSON.stringify(doc?.format)}; allowed: ${CALIBRATION_FORMAT}`);
  if (doc?.model !== 'fitted') problems.push(`model: got ${JSON.stringify(doc?.model)}; allowed: "fitted"`);
  for (const [k, [lo, hi]] of Object.entries(PARAM_RANGES)) {
    const v = (doc?.params as unknown as Record<string, unknown> | undefined)?.[k];
    if (!finite(v) || v < lo || v > hi) problems.push(`params.${k}: got ${JSON.stringify(v)}; allowed: a number in [${lo}, ${hi}]`);
  }
  if (!finite(doc?.held_out?.overall?.timeMs?.median))
    problems.push('held_out.overall: missing; allowed: the held-out errors `testbed policy calibrate` writes');
  if (problems.length > 0) throw new CalibrationError(`${name}: not a pre-copy calibration:\n- ${problems.join('\n- ')}`);
  return doc;
}

/** A chosen pre-copy model with the words that say which it is (one line for the simulator's output). */
export interface ChosenPrecopy {
  readonly model: PrecopyModel;
  readonly name: 'textbook' | 'fitted';
  readonly file?: string;
  readonly calibration?: CalibrationFile;
  /** One line: which model, fitted on what, its held-out error. */
  readonly summary: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** `--precopy textbook|fitted|FILE` → the model; `fitted` is the committed default calibration. */
export function choosePrecopy(value: string | undefined): ChosenPrecopy {
  const v = value ?? 'fitted';
  if (v === 'textbook')
    return {
      model: { kind: 'textbook' },
      name: 'textbook',
      summary: 'pre-copy model: textbook (full memory per round over the nominal bandwidth; not calibrated, no measured error)',
    };
  const [path, name] = v === 'fitted' ? [DEFAULT_CALIBRATION_FILE, DEFAULT_CALIBRATION_NAME] : [v, v];
  const c = readCalibration(path, name);
  const h = c.held_out.overall;
  return {
    model: { kind: 'fitted', params: c.params },
    name: 'fitted',
    file: name,
    calibration: c,
    summary:
      `pre-copy model: fitted (${name}: ${c.source.rows} migrations of ${c.source.run_ids.join(', ')}); ` +
      `held-out error (${c.held_out.method}) median/max: time ${pct(h.timeMs.median)}/${pct(h.timeMs.max)}, bytes ${pct(h.bytes.median)}/${pct(h.bytes.max)}`,
  };
}
