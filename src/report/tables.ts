/**
 * The report's tables as plain data (title, header, rows of text), so that Markdown and HTML are
 * two renderings of the same content. Also the notes on unfair comparisons. Pure.
 */
import type { Conditions } from '../experiments/index.js';
import type { BootstrapResult } from './bootstrap.js';
import { dirtyRateTable } from './dirty-rate-table.js';
import type { Spread } from './stats.js';
import { STUDY_CITATION, STUDY_FLAVOR_SOURCE, STUDY_TABLE_IV } from './study.js';
import { pctBound, rangeText } from './study-compare.js';
import type { LoadedRun, ReportData } from './summarize.js';

export interface Table {
  readonly id: string;
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns holding numbers (right-aligned). */
  readonly numeric?: readonly number[];
  readonly note?: string;
}

const DASH = '–';
export const NOT_GIVEN = 'not given';
export const NO_DIFFERENCE = 'no measurable difference';
/** Below this many repetitions per backend the percentile bootstrap's interval reads narrower than 95 %. */
export const FEW_REPS = 5;
/** Loaded cells whose backends' guest-reported dirty rates differ by more than this factor get a note. */
export const DIRTY_RATE_MISMATCH = 1.25;

/** A finite number with `digits` decimals, else an en dash. */
export function fmt(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : DASH;
}

/** `median (min–max)` in the spread's unit ÷ `scale`; just the median when min = max or n = 1. */
export function fmtSpread(s: Spread, digits = 0, scale = 1): string {
  if (s.n === 0) return DASH;
  const m = fmt(s.median / scale, digits);
  const lo = fmt(s.min / scale, digits);
  const hi = fmt(s.max / scale, digits);
  return s.n === 1 || (lo === m && hi === m) ? m : `${m} (${lo}–${hi})`;
}

export function tableIV(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-iv',
    title: 'Table IV. Live-migration time and downtime per flavor, backend and load',
    head: [
      ...(several ? ['run'] : []),
      'flavor',
      'load',
      'backend',
      'ok / failed',
      'total time s',
      'downtime ms (real)',
      'downtime ms (QEMU)',
      'study total time s',
      'ours ÷ study',
    ],
    numeric: [4, 5, 6, 7, 8].map((i) => i + (several ? 1 : 0)),
    rows: data.migrations.map((c, i) => {
      const s = data.study[i];
      return [
        ...(several ? [c.run] : []),
        c.flavor,
        c.load,
        c.backend,
        `${c.ok} / ${c.failed}${c.unverified ? ` (${c.unverified} unverified)` : ''}`,
        fmtSpread(c.total, 2, 1000),
        fmtSpread(c.downtimeReal),
        fmtSpread(c.downtimeQemu),
        s?.study ? rangeText(s.study).replace(/ s$/, '') : NOT_GIVEN,
        s?.oursOverStudy ? `${fmt(s.oursOverStudy.lo, 3)}–${fmt(s.oursOverStudy.hi, 3)}` : s?.study ? DASH : NOT_GIVEN,
      ];
    }),
    note:
      "Median over the completed migrations, with (min–max). Total time is QEMU's total-time. Real downtime = destination RESUME − source STOP (QMP events); " +
      "QEMU's own downtime figure reads lower because it ends when the source has sent the last page. " +
      `Study: ${STUDY_CITATION}, Table IV, as far as this project can cite it (${[...new Set(STUDY_TABLE_IV.map((t) => t.source.where))].join('; ')}); ` +
      'it does not say under which load, so its value stands beside every load of that flavor and backend. "not given": no citable study value for the cell. ' +
      "Ours ÷ study runs over the study's range (ours ÷ its high end … ours ÷ its low end).",
  };
}

/** Each Table IV cell at the study's flavor size on its 1 GbE link: the two lower bounds, what they rule out, and why ours differs. */
export function studySizesTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-study-sizes',
    title: "Table IV at the study's flavor sizes on 1 GbE",
    head: [
      ...(several ? ['run'] : []),
      'flavor',
      'load',
      'backend',
      'study RAM GiB',
      'bound, all memory s',
      'our guest touched',
      'bound, zero pages skipped s',
      'study s',
      'what the bound says',
      'why ours differs',
    ],
    numeric: [3, 4, 5, 6, 7].map((i) => i + (several ? 1 : 0)),
    rows: data.study.map((s) => [
      ...(several ? [s.cell.run] : []),
      s.cell.flavor,
      s.cell.load,
      s.cell.backend,
      fmt(s.studyRamGib),
      fmt(s.boundAllS, 1),
      Number.isFinite(s.touchedShare) ? `${fmt(s.touchedShare * 100)} %` : DASH,
      fmt(s.boundTouchedS, 1),
      s.study ? rangeText(s.study).replace(/ s$/, '') : NOT_GIVEN,
      s.verdict ?? DASH,
      s.why,
    ]),
    note:
      `The study's flavor RAM: ${STUDY_FLAVOR_SOURCE.quote} (${STUDY_FLAVOR_SOURCE.where}). Bound, all memory = RAM × 8 ÷ 10⁹ bit/s: the time 1 GbE needs to send all of it once. ` +
      "Bound, zero pages skipped = the same for only the memory the guest touched; the working set assumed is our own guest's in this cell, measured as 1 − QEMU's zero pages × 4 KiB ÷ guest RAM " +
      "(a lab guest's touched memory is its kernel, its verification pattern (conditions: verification per migration) and with a load its working set; the study's guest may have touched more or less). " +
      "Both bounds ignore protocol overhead and the few header bytes a zero page still costs, so the real minimum is higher. The sentence is built from this run's conditions.",
  };
}

/** The study's own times, each against the time its flavor's RAM needs on 1 GbE. */
export function studyFiguresTable(data: ReportData): Table {
  return {
    id: 'table-study-figures',
    title: "The study's figures against its 1 GbE link",
    head: [
      'flavor',
      'backend',
      'RAM GiB',
      'study s',
      'bound, all memory s',
      'share of its RAM the time can carry',
      'what the bound rules out',
      'source',
    ],
    numeric: [2, 3, 4, 5],
    rows: data.studyFigures.map((c) => [
      c.figure.flavor,
      c.figure.backend ?? NOT_GIVEN,
      fmt(c.ramGib),
      rangeText(c.figure).replace(/ s$/, ''),
      fmt(c.boundAllS, 1),
      pctBound(Math.min(1, c.carriableShare), 'up'),
      c.text,
      `${c.figure.source.where}: “${c.figure.source.quote}”`,
    ]),
    note: "RAM from the spec's defaults (the study's testbed). The time's longest end is used: the share is what 1 GbE moves in that time ÷ the flavor's RAM (rounded up; the zero share it implies, rounded down).",
  };
}

/** The physical bound and what a client saw, per Table IV cell. */
export function boundsTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-bounds',
    title: 'Bounds and client-side downtime',
    head: [
      ...(several ? ['run'] : []),
      'flavor',
      'load',
      'backend',
      'MB sent',
      'lower bound s',
      'total ÷ bound',
      'probe gap HAProxy ms',
      'probe gap direct ms',
      'iterations',
    ],
    numeric: [3, 4, 5, 6, 7, 8].map((i) => i + (several ? 1 : 0)),
    rows: data.migrations.map((c) => [
      ...(several ? [c.run] : []),
      c.flavor,
      c.load,
      c.backend,
      fmt(c.transferredMB.median),
      fmt(c.bound.median / 1000, 2),
      fmtSpread(c.overBound, 2),
      fmtSpread(c.probeHaproxy),
      fmtSpread(c.probeDirect),
      iterationsText(data, c),
    ]),
    note:
      'Lower bound = bytes sent ÷ link bandwidth: the time the link alone needs for what was sent; total ÷ bound near 1 means the link, not the hosts, set the time. ' +
      'Probe gap = the longest pause between successful client requests sent every ≤ 10 ms, through HAProxy and straight to the VM.',
  };
}

function iterationsText(data: ReportData, c: ReportData['migrations'][number]): string {
  const run = data.runs.find((r) => r.results.meta.run_id === c.run);
  const its =
    run?.results.migrations
      .filter((m) => m.pool === c.pool && m.flavor === c.flavor && m.load === c.load && m.status === 'completed')
      .map((m) => m.iterations) ?? [];
  return its.length ? `${Math.min(...its)}–${Math.max(...its)}`.replace(/^(\d+)–\1$/, '$1') : DASH;
}

/** What "verified" rests on: per cell, the pages and disk blocks the guest checked after each migration. */
export function verificationTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-verification',
    title: 'Verification: what the guest checked on the destination after each migration',
    head: [
      ...(several ? ['run'] : []),
      'flavor',
      'load',
      'backend',
      'verified / completed',
      'pages checked',
      'MiB checked',
      'disk blocks checked',
      'check ms',
      'downtime limit at the end ms',
    ],
    numeric: [3, 4, 5, 6, 7, 8].map((i) => i + (several ? 1 : 0)),
    rows: data.migrations.map((c) => [
      ...(several ? [c.run] : []),
      c.flavor,
      c.load,
      c.backend,
      `${c.ok - c.unverified} / ${c.ok}`,
      fmtSpread(c.verifiedPages),
      fmtSpread(c.verifiedPages, 0, 256),
      fmtSpread(c.verifiedBlocks),
      fmtSpread(c.verifyMs),
      fmtSpread(c.finalDowntimeLimit),
    ]),
    note:
      'After every migration, loaded or not, the guest (on the destination) compares every byte of its pattern pages (written at boot; the load gives the working set pages new generations) ' +
      'and reads back every block of its disk ring through the hypervisor from the RBD image. Verified = both checks ran and found nothing different. ' +
      "The downtime limit is the last of Nova's downtime steps applied (live_migration_downtime ÷ steps at first, raised every downtime_delay × data_gb s).",
  };
}

/** The guest's writes around the migration and the block side of the switchover, per cell. */
export function diskIoTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  const phases = (f: (p: ReportData['migrations'][number]['diskIo']['before']) => Spread, digits: number) => (c: ReportData['migrations'][number]) =>
    (['before', 'during', 'after'] as const).map((ph) => fmt(f(c.diskIo[ph]).median, digits)).join(' / ');
  const iops = phases((p) => p.iops, 0);
  const mean = phases((p) => p.latMean, 2);
  const p99 = phases((p) => p.latP99, 2);
  const notes = [...new Set(data.migrations.flatMap((c) => c.switchover.notMeasured))];
  return {
    id: 'table-disk-io',
    title: 'Disk I/O during the migration and the block side of the switchover',
    head: [
      ...(several ? ['run'] : []),
      'flavor',
      'load',
      'backend',
      'write IOPS before / during / after',
      'mean latency ms before / during / after',
      'p99 latency ms before / during / after',
      'load blocks verified',
      'block requests in flight at the stop',
      'drain + flush ms',
      'inactivate ms',
      'real downtime ms',
      'share of downtime on block I/O',
    ],
    numeric: [6, 7, 8, 9, 10, 11].map((i) => i + (several ? 1 : 0)),
    rows: data.migrations.map((c) => [
      ...(several ? [c.run] : []),
      c.flavor,
      c.load,
      c.backend,
      iops(c),
      mean(c),
      p99(c),
      fmtSpread(c.verifiedLoadBlocks),
      fmtSpread(c.switchover.inflight),
      fmtSpread(c.switchover.drainFlushMs, 2),
      fmtSpread(c.switchover.inactivateMs, 2),
      fmtSpread(c.downtimeReal, 1),
      fmtSpread(c.switchover.share, 3),
    ]),
    note:
      "With a disk load the guest writes 4 KiB blocks at random offsets of its RBD disk (experiments.disk_load); IOPS and latencies are the guest's own (medians over the cell), " +
      'timed on its clock for a window before the migration, during it, and a window after; every block written is read back after the migration. ' +
      "The switchover figures come from the source QEMU's trace events (runstate finish-migrate, vm_state_notify, vm_stop_flush_all, migration_block_activation, " +
      'migration_precopy_complete, virtio_blk request submit/complete) on the clock of the QMP STOP/RESUME events; share = (drain + flush + inactivate) ÷ real downtime. ' +
      (notes.length ? `Not measured: ${notes.join('; ')}.` : 'Every figure was measured.'),
  };
}

/** Several runs: the median total time of each backend × flavor × load, one column per run. */
export function runsSideBySide(data: ReportData): Table | undefined {
  if (data.runs.length < 2) return undefined;
  const runIds = data.runs.map((r) => r.results.meta.run_id);
  const keys = [...new Set(data.migrations.map((c) => `${c.flavor}\u0000${c.load}\u0000${c.backend}`))];
  return {
    id: 'runs-side-by-side',
    title: 'Runs side by side: migration time s, median (min–max) / real downtime ms',
    head: ['flavor', 'load', 'backend', ...runIds],
    numeric: runIds.map((_, i) => i + 3),
    rows: keys.map((k) => {
      const [flavor, load, backend] = k.split('\u0000') as [string, string, string];
      return [
        flavor,
        load,
        backend,
        ...runIds.map((id) => {
          const c = data.migrations.find((m) => m.run === id && m.flavor === flavor && m.load === load && m.backend === backend);
          return c ? `${fmtSpread(c.total, 2, 1000)} / ${fmt(c.downtimeReal.median)}` : DASH;
        }),
      ];
    }),
  };
}

export function fioTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-fio',
    title: 'fio: 4K random I/O through librbd per backend (Figs 10–11)',
    head: [...(several ? ['run'] : []), 'backend', 'job', 'ok / failed', 'IOPS', 'MiB/s', 'mean latency ms', 'p99 ms', 'p99.99 ms'],
    numeric: [3, 4, 5, 6, 7].map((i) => i + (several ? 1 : 0)),
    rows: data.fio.map((c) => [
      ...(several ? [c.run] : []),
      c.backend,
      c.job,
      `${c.ok} / ${c.failed}`,
      fmtSpread(c.iops),
      fmtSpread(c.mibS, 2),
      fmtSpread(c.latMean, 2),
      fmtSpread(c.latP99, 1),
      fmtSpread(c.latP9999, 1),
    ]),
    note: 'Median over the repeats, with min–max. Completion latency (fio clat).',
  };
}

/** An interval's end with 2 decimals, or more when 2 would show 1.00 for a value that is not 1 (so the reading and the figures agree). */
export function ciBound(v: number): string {
  for (const d of [2, 3, 4]) {
    const t = fmt(v, d);
    if (Number(t) !== 1 || v === 1) return t;
  }
  return fmt(v, 4);
}

/** What the interval says: no measurable difference, which way Bluestore differs, or why there is no interval. */
export function ciReading(ci: BootstrapResult): string {
  if (ci.kind === 'refused') return ci.reason;
  const few = Math.min(ci.nB, ci.nA) < FEW_REPS ? ` (n < ${FEW_REPS}: reads narrow)` : '';
  return `${ci.containsOne ? NO_DIFFERENCE : ci.lo > 1 ? 'Bluestore higher' : 'Bluestore lower'}${few}`;
}

export function ratioTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  return {
    id: 'table-ratios',
    title: 'Bluestore ÷ Filestore',
    head: [
      ...(several ? ['run'] : []),
      'measure',
      'n (B / F)',
      'ratio of medians',
      'spread (min–max)',
      'ratio of means',
      '95 % CI (bootstrap)',
      'reading',
    ],
    numeric: [1, 2, 3, 4, 5].map((i) => i + (several ? 1 : 0)),
    rows: data.ratios.map((r) => [
      ...(several ? [r.run] : []),
      r.what,
      `${r.ci.nB} / ${r.ci.nA}`,
      fmt(r.ratio.median, 2),
      `${fmt(r.ratio.min, 2)}–${fmt(r.ratio.max, 2)}`,
      r.ci.kind === 'interval' ? fmt(r.ci.estimate, 2) : DASH,
      r.ci.kind === 'interval' ? `${ciBound(r.ci.lo)}–${ciBound(r.ci.hi)}` : DASH,
      ciReading(r.ci),
    ]),
    note:
      'Spread: the smallest and largest ratio any Bluestore measurement makes with any Filestore one (min B ÷ max F … max B ÷ min F). Below 1 means Bluestore is faster for times and latencies, slower for IOPS and MiB/s. ' +
      "95 % CI: percentile bootstrap of the ratio of means, each backend's repetitions resampled independently, 10 000 resamples, a PRNG seeded by the measure's name (the same data gives the same interval). " +
      `Means rather than medians: with a few repetitions a resampled median takes only a few values and its interval jumps. "${NO_DIFFERENCE}": the interval contains 1. ` +
      `Under ${FEW_REPS} repetitions per backend the percentile interval is narrower than a true 95 % one (it sees only the spread those few happened to show); with 1 per backend there is none.`,
  };
}

function conditionRows(c: Conditions | null): Record<string, string> {
  if (!c) return { conditions: 'not recorded' };
  return {
    target: c.target,
    accelerator: c.accel.toUpperCase(),
    CPU: `${c.cpu_model} × ${c.cpu_cores}`,
    kernel: c.kernel,
    QEMU: c.qemu_version ?? DASH,
    Ceph: c.ceph_version ?? DASH,
    'libvirt / Nova': `${c.libvirt_version ?? DASH} / ${c.nova_version ?? DASH}`,
    fio: c.fio_version ?? DASH,
    'migration link': `${c.link.mbit} Mbit/s (${c.link.shaping})`,
    'storage under the lab': `${c.storage.fstype ?? '?'} on ${c.storage.device ?? '?'} (${c.storage.path}), ${
      c.storage.rotational === null ? 'rotational unknown' : c.storage.rotational ? 'reports rotational (HDD)' : 'reports non-rotational (SSD)'
    }`,
    'Filestore filesystem': c.storage.filestore_filesystem,
    'migration parameters': Object.entries(c.migration)
      .filter(([k]) => k !== 'nova_schedule' && k !== 'verify')
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', '),
    ...(c.migration.nova_schedule ? { 'downtime schedule (Nova)': scheduleConditionText(c.migration.nova_schedule) } : {}),
    ...(c.migration.verify ? { 'verification per migration': verifyConditionText(c.migration.verify) } : {}),
    'spec hash': c.spec_hash.slice(0, 16),
    'git commit': c.git_commit ? `${c.git_commit.slice(0, 12)}${c.git_dirty ? ' (uncommitted changes)' : ''}` : DASH,
    'collected at': c.collected_at,
  };
}

type PlanLike = {
  ram_mib?: number;
  data_gb?: number;
  downtime_steps?: { at_s: number; downtime_ms: number }[];
  completion_timeout_s?: number;
  timeout_action?: string;
};

/** `small (256 MiB, data 2 GB): 50 ms at 0 s, +45 ms every 150 s to 500 ms; timeout 1600 s → abort`. */
function scheduleConditionText(schedule: unknown): string {
  if (!schedule || typeof schedule !== 'object') return DASH;
  return Object.entries(schedule as Record<string, PlanLike>)
    .map(([flavor, p]) => {
      const steps = p.downtime_steps ?? [];
      const first = steps[0];
      const last = steps.at(-1);
      const every = steps[1] ? `, raised every ${steps[1].at_s} s to ${last?.downtime_ms} ms (${steps.length - 1} steps)` : '';
      const timeout = p.completion_timeout_s ? `; after ${p.completion_timeout_s} s: ${p.timeout_action}` : '; no timeout';
      return `${flavor} (${p.ram_mib} MiB, data ${p.data_gb} GB): ${first ? `${first.downtime_ms} ms from the start` : DASH}${every}${timeout}`;
    })
    .join('; ');
}

function verifyConditionText(verify: unknown): string {
  const v = verify as { memory_pct?: number; disk_blocks?: number; disk_ops_s?: number };
  return `pattern over ${v.memory_pct ?? '?'} % of guest RAM (at least the working set), every byte; ${v.disk_blocks ?? '?'} disk blocks of 4 KiB${
    v.disk_ops_s ? ` (rewritten at ${v.disk_ops_s}/s)` : ''
  }`;
}

export function conditionsTable(runs: readonly LoadedRun[]): Table {
  const perRun = runs.map((r) => conditionRows(r.conditions));
  const keys = [...new Set(perRun.flatMap((r) => Object.keys(r)))];
  return {
    id: 'table-conditions',
    title: 'Conditions',
    head: ['', ...runs.map((r) => r.results.meta.run_id)],
    rows: keys.map((k) => [k, ...perRun.map((r) => r[k] ?? DASH)]),
  };
}

/** Where a comparison is unfair or a figure needs care, said in words. */
export function fairnessNotes(data: ReportData): string[] {
  const notes: string[] = [];
  if (data.fio.some((c) => c.job === 'randread')) {
    notes.push(
      'fio random reads are not a fair Filestore/Bluestore comparison when the image fits in RAM: Filestore reads go through the OSD host’s kernel page cache, ' +
        'Bluestore reads use O_DIRECT and its own cache bounded by osd_memory_target (it warms up between repeats). Compare writes; read numbers need a working set well above RAM or dropped caches.',
    );
  }
  for (const r of data.runs) {
    const c = r.conditions;
    const id = r.results.meta.run_id;
    if (c?.accel === 'tcg')
      notes.push(`${id}: VMs ran under TCG (no KVM): guest CPU is emulated; migration times are link-bound only when total ÷ bound is close to 1.`);
    if (c?.storage.rotational)
      notes.push(
        `${id}: the disk reports itself as rotational, so Bluestore used its HDD settings (e.g. deferred writes up to 64k); on a virtual disk this may not match the hardware.`,
      );
    if (c && /not read back/.test(c.link.shaping))
      notes.push(`${id}: the link shaping was not read back from tc; the bound uses the spec's bandwidth.`);
    if (!r.results.meta.complete)
      notes.push(`${id}: the run is partial (${r.results.meta.interrupted ?? 'not finished'}); cells may have fewer repetitions than planned.`);
  }
  for (const c of data.migrations.filter((m) => m.load !== 'none' && m.backend === 'bluestore')) {
    const f = data.migrations.find((m) => m.run === c.run && m.flavor === c.flavor && m.load === c.load && m.backend === 'filestore');
    const [rb, rf] = [c.dirtyRateGuest.median, f?.dirtyRateGuest.median ?? Number.NaN];
    if (rb > 0 && rf > 0 && Math.max(rb, rf) / Math.min(rb, rf) > DIRTY_RATE_MISMATCH)
      notes.push(
        `${c.run}: ${c.flavor} load ${c.load}: the load reached ${fmt(rb)} MiB/s on Bluestore and ${fmt(rf)} MiB/s on Filestore (median of the guest's own reports), ` +
          'so the Bluestore ÷ Filestore migration-time ratio of this cell measures the load the guest managed as much as the backend.',
      );
  }
  const studyBelow = data.studyFigures.filter((s) => s.belowAllMemoryBound);
  if (studyBelow.length)
    notes.push(
      `The study's ${studyBelow.map((s) => `${s.figure.flavor}${s.figure.backend ? ` ${s.figure.backend}` : ''} ${rangeText(s.figure)}`).join(', ')} ` +
        `are below the time 1 GbE needs to send all of that flavor's RAM (${fmt(studyBelow[0]!.boundAllS)} s for ${studyBelow[0]!.ramGib} GiB); ` +
        `on that link only zero pages or compression can explain them (see "The study's figures against its 1 GbE link").`,
    );
  for (const c of data.migrations.filter((m) => m.unchecked > 0))
    notes.push(
      `${c.run}: ${c.backend} ${c.flavor} load ${c.load}: after ${c.unchecked} completed migration(s) the guest checked nothing (no pages, no disk blocks): they are not verified.`,
    );
  const failed = data.migrations.filter((c) => c.failed > 0);
  for (const c of failed)
    notes.push(
      `${c.run}: ${c.backend} ${c.flavor} load ${c.load}: ${c.failed} migration(s) did not complete and are left out of the medians: ${c.reasons.join(
        '; ',
      )}.`,
    );
  return notes;
}

export function allTables(data: ReportData): Table[] {
  const tables: Table[] = [];
  if (data.migrations.length) tables.push(tableIV(data), studySizesTable(data));
  tables.push(studyFiguresTable(data));
  if (data.migrations.length) tables.push(boundsTable(data), verificationTable(data), diskIoTable(data), dirtyRateTable(data));
  const side = runsSideBySide(data);
  if (side) tables.push(side);
  if (data.fio.length) tables.push(fioTable(data));
  if (data.ratios.length) tables.push(ratioTable(data));
  tables.push(conditionsTable(data.runs));
  return tables;
}
