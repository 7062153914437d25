/**
 * Our cells beside the study's: the study's value where it gives one, ours ÷ the study's, and the
 * physical lower bound for the study's flavor size on its 1 GbE link, two ways:
 *   (a) all memory sent: RAM × 8 ÷ link rate;
 *   (b) zero pages skipped: only the memory the guest touched is sent. The working set assumed is
 *       our own guest's, measured: the share of its RAM that QEMU did not find as zero pages
 *       (1 − ram.duplicate × 4 KiB ÷ guest RAM), in the same flavor × load cell, applied to the
 *       study's RAM. A zero page still costs QEMU a few header bytes; that is left out, so (b) stays
 *       a lower bound.
 * Both use the line rate (10⁹ bit/s) and ignore Ethernet, TCP and migration-stream overhead, so
 * the real minimum is higher. Pure: the sentences are built from the run's recorded conditions.
 */
import type { Conditions } from '../experiments/index.js';
import { STUDY_CLAIMS, STUDY_FLAVOR_RAM_GIB, STUDY_LINK_MBIT, STUDY_TABLE_IV, isStudyFlavor, studyTimeFor, type StudyTime } from './study.js';
import type { MigrationCellSummary } from './summarize.js';

const GIB = 2 ** 30;

/** Seconds the link needs for all of `ramGib` at `linkMbit` (line rate). */
export function allMemoryBoundS(ramGib: number, linkMbit = STUDY_LINK_MBIT): number {
  return (ramGib * GIB * 8) / (linkMbit * 1e6);
}

/** The largest share of `ramGib` that `seconds` on the link can carry; above 1, all of it fits. */
export function carriableShare(seconds: number, ramGib: number, linkMbit = STUDY_LINK_MBIT): number {
  return (seconds * linkMbit * 1e6) / 8 / (ramGib * GIB);
}

/** 1.06 → "1.06", 12.3 → "12", 0.0431 → "0.043": enough digits to read, no more. */
export function short(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 10 ? v.toFixed(0) : a >= 1 ? v.toFixed(2).replace(/\.?0+$/, '') : v.toPrecision(2);
}

export const pct = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;

/** A percentage rounded the safe way for its claim: `up` for "at most", `down` for "at least". */
export function pctBound(share: number, dir: 'up' | 'down'): string {
  const p = share * 100;
  const step = p < 10 || p > 90 ? 10 : 1;
  const r = (dir === 'up' ? Math.ceil(p * step - 1e-9) : Math.floor(p * step + 1e-9)) / step;
  return `${r.toFixed(step === 10 ? 1 : 0)} %`;
}

export function rangeText(t: Pick<StudyTime, 'loS' | 'hiS'>): string {
  return t.loS === t.hiS ? `${t.loS} s` : `${t.loS}–${t.hiS} s`;
}

/** What the link says about one of the study's times for a flavor (its RAM on 1 GbE). */
export interface StudyFigureCheck {
  readonly figure: StudyTime;
  readonly ramGib: number;
  readonly boundAllS: number;
  /** The largest share of its RAM the study's longest time can carry on the link. */
  readonly carriableShare: number;
  /** True when even the longest time given is below the all-memory bound. */
  readonly belowAllMemoryBound: boolean;
  readonly text: string;
}

export function checkStudyFigure(figure: StudyTime): StudyFigureCheck {
  const ramGib = STUDY_FLAVOR_RAM_GIB[figure.flavor];
  const boundAllS = allMemoryBoundS(ramGib);
  const share = carriableShare(figure.hiS, ramGib);
  const below = figure.hiS < boundAllS;
  const text = below
    ? `Ruled out if all memory is sent: ${ramGib} GiB need at least ${short(boundAllS)} s on 1 GbE. ${rangeText(figure)} can carry at most ${pctBound(
        share,
        'up',
      )} of it, so at least ${pctBound(1 - share, 'down')} of the guest's memory must have been zero pages (or compressed).`
    : `Within the bound: ${ramGib} GiB need at least ${short(boundAllS)} s on 1 GbE.`;
  return { figure, ramGib, boundAllS, carriableShare: share, belowAllMemoryBound: below, text };
}

/** Every time the study gives that this project can cite, checked against the link. */
export function checkStudyFigures(): StudyFigureCheck[] {
  return [...STUDY_TABLE_IV, ...STUDY_CLAIMS].map(checkStudyFigure);
}

export interface StudyCellComparison {
  readonly cell: MigrationCellSummary;
  /** The study's Table IV time for this cell; undefined: not given. */
  readonly study?: StudyTime;
  /** Our median total time, s. */
  readonly oursS: number;
  /** Ours ÷ the study's, over the study's range: [ours ÷ its high end, ours ÷ its low end]. */
  readonly oursOverStudy?: { readonly lo: number; readonly hi: number };
  /** The study's RAM for this flavor, GiB; NaN for a flavor the study does not have. */
  readonly studyRamGib: number;
  /** (a) all of the study's RAM on 1 GbE, s. */
  readonly boundAllS: number;
  /** Our guest's touched share (median), the working set assumed for (b). */
  readonly touchedShare: number;
  /** (b) the touched share of the study's RAM on 1 GbE, s. */
  readonly boundTouchedS: number;
  /** What the bounds say about the study's value here; undefined without one. */
  readonly verdict?: string;
  /** One sentence: why our value differs from the study's testbed, from this run's conditions. */
  readonly why: string;
}

function verdictFor(study: StudyTime, boundAllS: number, touched: number, boundTouchedS: number): string {
  const parts: string[] = [];
  parts.push(
    study.hiS < boundAllS
      ? `The study's ${rangeText(study)} is below the ${short(boundAllS)} s all memory needs: ruled out unless zero pages were skipped or compressed`
      : `The study's ${rangeText(study)} is not below the ${short(boundAllS)} s all memory needs`,
  );
  if (Number.isFinite(boundTouchedS))
    parts.push(
      boundTouchedS > study.hiS
        ? `skipping zero pages of a guest that touched ${pct(touched)} of its RAM (as ours did) still needs ${short(boundTouchedS)} s: ruled out too`
        : boundTouchedS > study.loS
          ? `skipping zero pages of a guest that touched ${pct(touched)} (as ours did) needs ${short(boundTouchedS)} s: only its upper end is possible`
          : `skipping zero pages of a guest that touched ${pct(touched)} (as ours did) needs ${short(boundTouchedS)} s: possible`,
    );
  return `${parts.join('; ')}.`;
}

/** `1/16`, `1/8`, or `1/2.5` of the study's RAM. */
function fraction(ours: number, theirs: number): string {
  const f = theirs / ours;
  return `1/${Number.isInteger(f) ? f : f.toFixed(1)}`;
}

/** Why ours differs, in one sentence, from what this run recorded: guest RAM, accelerator, link, load and how close to its own bound it ran. */
export function whyOursDiffers(cell: MigrationCellSummary, conditions: Conditions | null, studyRamGib: number, study?: StudyTime): string {
  const lead = study
    ? `Ours is ${short(cell.total.median / 1000 / study.hiS)}–${short(cell.total.median / 1000 / study.loS)}× the study's ${rangeText(study)}: `
    : 'The study gives no value here; ';
  const ram = Number.isFinite(cell.guestRamMib)
    ? `our ${cell.flavor} guest has ${cell.guestRamMib} MiB${Number.isFinite(studyRamGib) ? ` (${fraction(cell.guestRamMib, studyRamGib * 1024)} of the study's ${studyRamGib} GiB)` : ''}`
    : `our ${cell.flavor} guest's RAM is not recorded`;
  const accel =
    conditions?.accel === 'tcg'
      ? 'ran under TCG (emulated CPU, no KVM)'
      : conditions?.accel === 'kvm'
        ? 'ran under KVM'
        : 'ran on an accelerator the run did not record';
  const mbit = conditions?.link.mbit;
  const link =
    mbit === undefined
      ? 'on a link the run did not record'
      : mbit === STUDY_LINK_MBIT
        ? `on a ${mbit} Mbit/s link, the study's 1 GbE rate`
        : `on a ${mbit} Mbit/s link, ${short(mbit / STUDY_LINK_MBIT)}× the study's 1 GbE`;
  const memory = cell.load === 'memory' || cell.load === 'memory+disk' ? ` at ${short(cell.dirtyRateGuest.median)} MiB/s` : '';
  const disk = cell.load === 'disk' || cell.load === 'memory+disk' ? ` writing ${short(cell.diskIo.during.iops.median)} IOPS to its disk` : '';
  const load = cell.load === 'none' ? '' : `, with its ${cell.load} load${memory}${memory && disk ? ' and' : ''}${disk} (the guest's report)`;
  const ob = cell.overBound.median;
  const measured = Number.isFinite(ob)
    ? `, and took ${short(ob)}× the time its own ${short(cell.transferredMB.median)} MB need on that link, so ${
        ob <= 1.5
          ? 'the link set its time and the scaled RAM is the main difference'
          : `the hosts${conditions?.accel === 'tcg' ? ' (TCG)' : ''}, not the link, set much of its time`
      }`
    : '';
  return `${lead}${ram}, ${accel} ${link}${load}${measured}.`;
}

export function compareWithStudy(cell: MigrationCellSummary, conditions: Conditions | null): StudyCellComparison {
  const study = studyTimeFor(cell.flavor, cell.backend, cell.load);
  const studyRamGib = isStudyFlavor(cell.flavor) ? STUDY_FLAVOR_RAM_GIB[cell.flavor] : Number.NaN;
  const boundAllS = allMemoryBoundS(studyRamGib);
  const touched = cell.touchedShare.median;
  const boundTouchedS = Number.isFinite(touched) ? touched * boundAllS : Number.NaN;
  const oursS = cell.total.median / 1000;
  return {
    cell,
    study,
    oursS,
    oursOverStudy: study && Number.isFinite(oursS) ? { lo: oursS / study.hiS, hi: oursS / study.loS } : undefined,
    studyRamGib,
    boundAllS,
    touchedShare: touched,
    boundTouchedS,
    verdict: study ? verdictFor(study, boundAllS, touched, boundTouchedS) : undefined,
    why: whyOursDiffers(cell, conditions, studyRamGib, study),
  };
}
