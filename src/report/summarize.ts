/**
 * From stored runs to the report's numbers: the Table IV cells (flavor × backend × load), the fio
 * cells (backend × job) and the Bluestore/Filestore ratios. Pure; the inputs come from `readRun`.
 */
import type { Conditions, DiskLoadPhase, FioRow, MigrationRow, RunResults } from '../experiments/index.js';
import { checkStudyFigures, compareWithStudy, type StudyCellComparison, type StudyFigureCheck } from './study-compare.js';
import { bootstrapRatioOfMeans, seedOf, type BootstrapResult } from './bootstrap.js';
import { ratioOf, spread, type Ratio, type Spread } from './stats.js';

/** The disk load's phases (the experiments' DISK_LOAD_PHASES, kept here so the report does not load the experiments face and zod). */
const PHASES: readonly DiskLoadPhase[] = ['before', 'during', 'after'];

/** QEMU's target page on x86: its `ram.normal` and `ram.duplicate` (zero) counters count 4 KiB pages. */
export const PAGE_BYTES = 4096;

export interface LoadedRun {
  readonly dir: string;
  readonly results: RunResults;
  readonly conditions: Conditions | null;
}

export interface MigrationCellSummary {
  readonly run: string;
  readonly pool: string;
  readonly backend: string;
  readonly flavor: string;
  readonly load: string;
  readonly ok: number;
  /** Failed, cancelled or non-converging migrations, with their reasons. */
  readonly failed: number;
  readonly reasons: readonly string[];
  /** Migrations whose guest did not verify its pattern. */
  readonly unverified: number;
  /** Over completed migrations only, ms. */
  readonly total: Spread;
  readonly downtimeQemu: Spread;
  readonly downtimeReal: Spread;
  readonly probeHaproxy: Spread;
  readonly probeDirect: Spread;
  readonly bound: Spread;
  readonly overBound: Spread;
  readonly transferredMB: Spread;
  /** What the guest checked after each completed migration: pages compared in full, disk blocks read back, and the check's wall time. */
  readonly verifiedPages: Spread;
  readonly verifiedBlocks: Spread;
  readonly verifyMs: Spread;
  /** Completed migrations after which nothing at all was checked (no pages and no blocks). */
  readonly unchecked: number;
  /** The downtime limit in force when each completed migration ended, ms (the last step applied). */
  readonly finalDowntimeLimit: Spread;
  /** The guest's RAM in this run, MiB (the lab's scaled flavor, from conditions.json); NaN when not recorded. */
  readonly guestRamMib: number;
  /** Share of the guest's RAM that was not a zero page: 1 − QEMU's zero pages × 4 KiB ÷ guest RAM, per completed migration. */
  readonly touchedShare: Spread;
  /** The dirty rate the guest's own load reported, MiB/s. */
  readonly dirtyRateGuest: Spread;
  /** The completed migrations' own values, for the bootstrap. */
  readonly samples: { readonly total: readonly number[]; readonly downtimeReal: readonly number[] };
  /** The guest's disk load per phase (loads `disk`, `memory+disk`; empty spreads otherwise). */
  readonly diskIo: Readonly<Record<DiskLoadPhase, DiskIoPhaseSummary>>;
  /** Blocks of the disk load's region the guest read back and compared after each completed migration. */
  readonly verifiedLoadBlocks: Spread;
  /** The block side of the switchover, from the source QEMU's trace events. */
  readonly switchover: SwitchoverSummary;
}

export interface DiskIoPhaseSummary {
  readonly iops: Spread;
  readonly mibS: Spread;
  readonly latMean: Spread;
  readonly latP99: Spread;
}

export interface SwitchoverSummary {
  readonly inflight: Spread;
  readonly drainFlushMs: Spread;
  readonly inactivateMs: Spread;
  readonly share: Spread;
  /** Why a figure is missing, once per distinct reason. */
  readonly notMeasured: readonly string[];
}

export interface FioCellSummary {
  readonly run: string;
  readonly pool: string;
  readonly backend: string;
  readonly job: string;
  readonly ok: number;
  readonly failed: number;
  readonly iops: Spread;
  readonly mibS: Spread;
  readonly latMean: Spread;
  readonly latP99: Spread;
  readonly latP9999: Spread;
  /** The completed repeats' own values, for the bootstrap. */
  readonly samples: { readonly iops: readonly number[]; readonly mibS: readonly number[]; readonly latP99: readonly number[] };
}

export interface RatioRow {
  readonly run: string;
  /** e.g. `migration time, small, load none` or `fio randwrite IOPS`. */
  readonly what: string;
  /** Ratio of medians with its min–max spread. */
  readonly ratio: Ratio;
  /** Ratio of means with its percentile-bootstrap 95 % interval (10 000 resamples, seeded by `what`), or why there is none. */
  readonly ci: BootstrapResult;
}

export interface ReportData {
  readonly runs: readonly LoadedRun[];
  readonly migrations: readonly MigrationCellSummary[];
  readonly fio: readonly FioCellSummary[];
  /** Bluestore ÷ Filestore: total migration time and downtime per flavor × load, IOPS and MiB/s per fio job. */
  readonly ratios: readonly RatioRow[];
  /** Each migration cell beside the study's value and the bounds at the study's flavor size (same order as `migrations`). */
  readonly study: readonly StudyCellComparison[];
  /** The study's own times against its 1 GbE link. */
  readonly studyFigures: readonly StudyFigureCheck[];
}

/** The backend of a pool: from the run's metadata, else guessed from its name, else the name itself. */
export function backendOf(results: RunResults, pool: string): string {
  const b = results.meta.pool_backends?.[pool];
  if (b) return b;
  return /bluestore/i.test(pool) ? 'bluestore' : /filestore/i.test(pool) ? 'filestore' : pool;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    m.set(k, [...(m.get(k) ?? []), it]);
  }
  return m;
}

/** Keeps the matrix order (the run's pools, flavors, loads) rather than the order rows arrived in. */
function orderIndex(list: readonly string[] | undefined, v: string): number {
  const i = list?.indexOf(v) ?? -1;
  return i < 0 ? 999 : i;
}

/** The guest RAM of a flavor in this run: the lab's scaled size, as recorded with Nova's plan in conditions.json. */
export function guestRamMib(conditions: Conditions | null, flavor: string): number {
  const plan = (conditions?.migration.nova_schedule as Record<string, { ram_mib?: unknown }> | undefined)?.[flavor];
  return typeof plan?.ram_mib === 'number' && plan.ram_mib > 0 ? plan.ram_mib : Number.NaN;
}

export function summarizeMigrations(run: LoadedRun): MigrationCellSummary[] {
  const { meta } = run.results;
  const groups = groupBy(run.results.migrations, (m) => `${m.pool}\u0000${m.flavor}\u0000${m.load}`);
  const out: MigrationCellSummary[] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const ok = rows.filter((r) => r.status === 'completed');
    const pick = (f: (r: MigrationRow) => number) => spread(ok.map(f));
    const ramMib = guestRamMib(run.conditions, first.flavor);
    out.push({
      run: meta.run_id,
      pool: first.pool,
      backend: backendOf(run.results, first.pool),
      flavor: first.flavor,
      load: first.load,
      ok: ok.length,
      failed: rows.length - ok.length,
      reasons: rows.filter((r) => r.status !== 'completed').map((r) => `rep ${r.rep}: ${r.status}: ${r.reason ?? 'no reason recorded'}`),
      unverified: ok.filter((r) => !r.pattern_verified).length,
      total: pick((r) => r.total_ms),
      downtimeQemu: pick((r) => r.downtime_ms),
      downtimeReal: pick((r) => r.downtime_real_ms),
      probeHaproxy: pick((r) => r.probe_gap_haproxy_ms),
      probeDirect: pick((r) => r.probe_gap_direct_ms),
      bound: pick((r) => r.lower_bound_ms),
      overBound: pick((r) => r.total_over_bound),
      transferredMB: pick((r) => r.transferred_bytes / 1e6),
      verifiedPages: pick((r) => r.verified_pages),
      verifiedBlocks: pick((r) => r.verified_blocks),
      verifyMs: pick((r) => r.verify_ms),
      unchecked: ok.filter((r) => !(r.verified_pages > 0) && !(r.verified_blocks > 0)).length,
      finalDowntimeLimit: pick((r) => r.nova_schedule.filter((e) => e.action === 'downtime-limit').at(-1)?.value ?? Number.NaN),
      guestRamMib: ramMib,
      touchedShare: pick((r) => 1 - (r.zero_pages * PAGE_BYTES) / (ramMib * 2 ** 20)),
      dirtyRateGuest: pick((r) => r.dirty_rate_guest_mib_s ?? Number.NaN),
      samples: { total: ok.map((r) => r.total_ms), downtimeReal: ok.map((r) => r.downtime_real_ms) },
      diskIo: Object.fromEntries(
        PHASES.map((ph) => [
          ph,
          {
            iops: pick((r) => r.disk_io?.[ph].iops ?? Number.NaN),
            mibS: pick((r) => r.disk_io?.[ph].mib_s ?? Number.NaN),
            latMean: pick((r) => r.disk_io?.[ph].lat_mean_ms ?? Number.NaN),
            latP99: pick((r) => r.disk_io?.[ph].lat_p99_ms ?? Number.NaN),
          },
        ]),
      ) as Record<DiskLoadPhase, DiskIoPhaseSummary>,
      verifiedLoadBlocks: pick((r) => r.verified_load_blocks ?? Number.NaN),
      switchover: {
        inflight: pick((r) => r.switchover?.inflight_at_stop ?? Number.NaN),
        drainFlushMs: pick((r) => r.switchover?.drain_flush_ms ?? Number.NaN),
        inactivateMs: pick((r) => r.switchover?.inactivate_ms ?? Number.NaN),
        share: pick((r) => r.switchover?.drain_share ?? Number.NaN),
        notMeasured: [
          ...new Set(ok.map((r) => (r.switchover ? r.switchover.not_measured : 'not recorded by this run')).filter((x): x is string => !!x)),
        ],
      },
    });
  }
  const m = meta.matrix;
  return out.sort(
    (a, b) =>
      orderIndex(m.flavors, a.flavor) - orderIndex(m.flavors, b.flavor) ||
      orderIndex(m.loads, a.load) - orderIndex(m.loads, b.load) ||
      orderIndex(m.pools, a.pool) - orderIndex(m.pools, b.pool),
  );
}

export function summarizeFio(run: LoadedRun): FioCellSummary[] {
  const { meta } = run.results;
  const groups = groupBy(run.results.fio, (f) => `${f.pool}\u0000${f.job}`);
  const out: FioCellSummary[] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const ok = rows.filter((r) => r.status === 'completed');
    const pick = (f: (r: FioRow) => number) => spread(ok.map(f));
    out.push({
      run: meta.run_id,
      pool: first.pool,
      backend: backendOf(run.results, first.pool),
      job: first.job,
      ok: ok.length,
      failed: rows.length - ok.length,
      iops: pick((r) => r.iops),
      mibS: pick((r) => r.mib_s),
      latMean: pick((r) => r.lat_mean_ms),
      latP99: pick((r) => r.lat_p99_ms),
      latP9999: pick((r) => r.lat_p9999_ms),
      samples: { iops: ok.map((r) => r.iops), mibS: ok.map((r) => r.mib_s), latP99: ok.map((r) => r.lat_p99_ms) },
    });
  }
  return out.sort(
    (a, b) =>
      orderIndex(meta.matrix.fio_jobs, a.job) - orderIndex(meta.matrix.fio_jobs, b.job) ||
      orderIndex(meta.matrix.pools, a.pool) - orderIndex(meta.matrix.pools, b.pool),
  );
}

function ratioRow(run: string, what: string, b: Spread, a: Spread, bValues: readonly number[], aValues: readonly number[]): RatioRow {
  return { run, what, ratio: ratioOf(b, a), ci: bootstrapRatioOfMeans(bValues, aValues, { resamples: 10000, seed: seedOf(what, 1) }) };
}

/** Bluestore ÷ Filestore for every flavor × load and fio job where the run has exactly one pool of each. */
export function backendRatios(run: string, migrations: readonly MigrationCellSummary[], fio: readonly FioCellSummary[]): RatioRow[] {
  const out: RatioRow[] = [];
  const pair = <T extends { backend: string }>(cells: readonly T[]): [T, T] | undefined => {
    const fs = cells.filter((c) => c.backend === 'filestore');
    const bs = cells.filter((c) => c.backend === 'bluestore');
    return fs.length === 1 && bs.length === 1 ? [bs[0]!, fs[0]!] : undefined;
  };
  for (const [key, cells] of groupBy(migrations, (c) => `${c.flavor}, load ${c.load}`)) {
    const p = pair(cells);
    if (!p) continue;
    const [b, f] = p;
    out.push(ratioRow(run, `migration time, ${key}`, b.total, f.total, b.samples.total, f.samples.total));
    out.push(ratioRow(run, `downtime (real), ${key}`, b.downtimeReal, f.downtimeReal, b.samples.downtimeReal, f.samples.downtimeReal));
  }
  for (const [job, cells] of groupBy(fio, (c) => c.job)) {
    const p = pair(cells);
    if (!p) continue;
    const [b, f] = p;
    out.push(ratioRow(run, `fio ${job} IOPS`, b.iops, f.iops, b.samples.iops, f.samples.iops));
    out.push(ratioRow(run, `fio ${job} MiB/s`, b.mibS, f.mibS, b.samples.mibS, f.samples.mibS));
    out.push(ratioRow(run, `fio ${job} p99 latency`, b.latP99, f.latP99, b.samples.latP99, f.samples.latP99));
  }
  return out;
}

export function buildReportData(runs: readonly LoadedRun[]): ReportData {
  const migrations = runs.flatMap(summarizeMigrations);
  const fio = runs.flatMap(summarizeFio);
  const ratios = runs.flatMap((r) =>
    backendRatios(
      r.results.meta.run_id,
      migrations.filter((m) => m.run === r.results.meta.run_id),
      fio.filter((f) => f.run === r.results.meta.run_id),
    ),
  );
  const conditionsOf = (id: string) => runs.find((r) => r.results.meta.run_id === id)?.conditions ?? null;
  const study = migrations.map((c) => compareWithStudy(c, conditionsOf(c.run)));
  return { runs, migrations, fio, ratios, study, studyFigures: checkStudyFigures() };
}
