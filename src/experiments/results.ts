/**
 * One experiment run's data, as it is stored in `results/<run-id>/` and read back by the report.
 *
 * Files of a run (all written atomically, rewritten after every recorded migration or fio job):
 * - `results.json`: run metadata + every migration row + every fio row (the source of truth);
 * - `migrations.csv`, `fio.csv`: the same rows flattened for spreadsheets and R;
 * - `conditions.json`: where and how the run happened (see `conditions.ts`);
 * - `raw/`: QEMU's final `query-migrate` per migration (`raw/migration-<key>.json`) and fio's own
 *   JSON output per job (`raw/fio-<key>.json`).
 *
 * Pure: types and the arithmetic that derives a row from a `MigrationRecord`. I/O is in `results-store.ts`.
 */
import { DISK_LOAD_PHASES } from './block-io.js';
import type { MigrationLoad, MigrationRecord, MigrationStatus } from './migration-record.js';
import { scheduleText, type ScheduleEvent } from './nova-schedule.js';
import type { FioJobKind, FioSummary } from './fio.js';

export const RESULTS_FORMAT = 1;

/** What the client-side probe saw during one migration (longest gap between successful probes). */
export interface ProbeGaps {
  /** Through the load balancer (HAProxy); NaN when it was not probed. */
  readonly haproxy_ms: number;
  /** Straight to the VM's address; NaN when it was not probed. */
  readonly direct_ms: number;
}

/** One migration as stored: the hypervisor's record, the client's view and the physical bound. */
export interface MigrationRow extends Omit<MigrationRecord, 'raw' | 'verified_pages' | 'verified_blocks' | 'verify_ms' | 'nova_schedule'> {
  readonly run_id: string;
  /** Pages (4 KiB) the guest compared in full on the destination after the migration (0: none checked). */
  readonly verified_pages: number;
  /** Disk blocks (4 KiB) the guest read back and compared on the destination after the migration (0: none checked). */
  readonly verified_blocks: number;
  /** Host wall time of that check, ms; NaN when there was none. */
  readonly verify_ms: number;
  /** The downtime steps and timeout action applied during the migration, with times (empty: the target does not say). */
  readonly nova_schedule: readonly ScheduleEvent[];
  readonly probe_gap_haproxy_ms: number;
  readonly probe_gap_direct_ms: number;
  /** transferred_bytes ÷ link bandwidth: the time the bytes sent need on the link alone, ms. */
  readonly lower_bound_ms: number;
  /** total_ms ÷ lower_bound_ms (≥ 1 when the link limits; NaN when no bound is known). */
  readonly total_over_bound: number;
  /** Wall-clock start of the migration (ISO 8601). */
  readonly started_at: string;
  /** File under `raw/` holding QEMU's final stats for this migration. */
  readonly raw_file: string;
}

/** One fio job as stored. */
export interface FioRow extends FioSummary {
  readonly run_id: string;
  readonly pool: string;
  readonly job: FioJobKind;
  readonly repeat: number;
  readonly status: 'completed' | 'failed';
  readonly reason?: string;
  readonly started_at: string;
  /** File under `raw/` holding fio's JSON output. */
  readonly raw_file: string;
}

export interface RunMeta {
  readonly format: typeof RESULTS_FORMAT;
  readonly run_id: string;
  readonly target: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** The matrix as requested; resumed runs keep it. */
  readonly matrix: {
    readonly pools: readonly string[];
    readonly flavors: readonly string[];
    readonly loads: readonly MigrationLoad[];
    readonly reps: number;
    readonly fio_repeats: number;
    readonly fio_jobs: readonly FioJobKind[];
  };
  /** Storage backend of each pool (filestore or bluestore), so the report can form Bluestore/Filestore ratios. */
  readonly pool_backends?: Readonly<Record<string, string>>;
  /** True once every cell was recorded. */
  readonly complete: boolean;
  /** The last reason the run stopped before completing (an infrastructure error or an interrupt). */
  readonly interrupted?: string;
}

export interface RunResults {
  readonly meta: RunMeta;
  readonly migrations: readonly MigrationRow[];
  readonly fio: readonly FioRow[];
}

/** bits/s of a link given in Mbit/s (decimal, as tc and the spec use it). */
export function linkBytesPerS(linkMbit: number): number {
  return (linkMbit * 1e6) / 8;
}

/** The time `bytes` need on a `linkMbit` link, in ms; NaN when either is unknown or not positive. */
export function lowerBoundMs(bytes: number, linkMbit: number): number {
  if (!(bytes > 0) || !(linkMbit > 0)) return Number.NaN;
  return (bytes / linkBytesPerS(linkMbit)) * 1000;
}

/** total ÷ bound; NaN unless both are finite and the bound is positive. */
export function overBound(totalMs: number, boundMs: number): number {
  return Number.isFinite(totalMs) && Number.isFinite(boundMs) && boundMs > 0 ? totalMs / boundMs : Number.NaN;
}

/** The key of one migration inside a run: stable, filename-safe, unique per matrix position. */
export function migrationKey(m: { pool: string; flavor: string; load: string; rep: number }): string {
  return `${m.pool}-${m.flavor}-${m.load}-r${m.rep}`;
}

export function fioKey(f: { pool: string; job: string; repeat: number }): string {
  return `${f.pool}-${f.job}-r${f.repeat}`;
}

/** Builds the stored row from the hypervisor's record and the probe. Does not keep `raw` (it goes to raw/). */
export function toMigrationRow(runId: string, record: MigrationRecord, probe: ProbeGaps, startedAt: Date): MigrationRow {
  const { raw: _raw, ...rest } = record;
  const bound = lowerBoundMs(record.transferred_bytes, record.link_mbit);
  return {
    ...rest,
    verified_pages: record.verified_pages ?? 0,
    verified_blocks: record.verified_blocks ?? 0,
    verify_ms: record.verify_ms ?? Number.NaN,
    nova_schedule: record.nova_schedule ?? [],
    run_id: runId,
    probe_gap_haproxy_ms: probe.haproxy_ms,
    probe_gap_direct_ms: probe.direct_ms,
    lower_bound_ms: bound,
    total_over_bound: record.status === 'completed' ? overBound(record.total_ms, bound) : Number.NaN,
    started_at: startedAt.toISOString(),
    raw_file: `raw/migration-${migrationKey(record)}.json`,
  };
}

/**
 * The row of a migration that never produced a hypervisor record (the executor threw): every
 * figure NaN, the reason kept. It is recorded, never dropped.
 */
export function failedMigrationRow(
  runId: string,
  at: { pool: string; flavor: string; load: MigrationLoad; rep: number; vm: string; source: string; target: string; link_mbit: number },
  status: Exclude<MigrationStatus, 'completed'>,
  reason: string,
  startedAt: Date,
): MigrationRow {
  return {
    run_id: runId,
    vm: at.vm,
    flavor: at.flavor,
    pool: at.pool,
    load: at.load,
    rep: at.rep,
    source: at.source,
    target: at.target,
    status,
    reason,
    total_ms: Number.NaN,
    setup_ms: Number.NaN,
    downtime_ms: Number.NaN,
    downtime_real_ms: Number.NaN,
    transferred_bytes: Number.NaN,
    normal_pages: Number.NaN,
    zero_pages: Number.NaN,
    iterations: Number.NaN,
    link_mbit: at.link_mbit,
    pattern_verified: false,
    verified_pages: 0,
    verified_blocks: 0,
    verify_ms: Number.NaN,
    nova_schedule: [],
    probe_gap_haproxy_ms: Number.NaN,
    probe_gap_direct_ms: Number.NaN,
    lower_bound_ms: Number.NaN,
    total_over_bound: Number.NaN,
    started_at: startedAt.toISOString(),
    raw_file: `raw/migration-${migrationKey(at)}.json`,
  };
}

/** The guest's disk load, per phase (empty without a disk load). */
const DISK_IO_PHASE_FIELDS = ['iops', 'mib_s', 'lat_mean_ms', 'lat_p99_ms', 'lat_max_ms', 'writes', 'seconds'] as const;
export const DISK_IO_CSV_COLUMNS = [
  'io_mode',
  'io_queue_depth',
  'io_errors',
  ...DISK_LOAD_PHASES.flatMap((p) => DISK_IO_PHASE_FIELDS.map((k) => `io_${p}_${k}` as const)),
] as const;
/** The block side of the switchover (src/lab/switchover-trace.ts); `blk_not_measured` says why a figure is empty. */
export const SWITCHOVER_CSV_COLUMNS = [
  'blk_inflight_at_stop',
  'blk_traced_requests',
  'blk_vcpu_pause_ms',
  'blk_drain_flush_ms',
  'blk_inactivate_ms',
  'blk_drain_share',
  'blk_not_measured',
] as const;
type DiskIoColumns = Record<(typeof DISK_IO_CSV_COLUMNS)[number], number | string | undefined>;
type SwitchoverColumns = Record<(typeof SWITCHOVER_CSV_COLUMNS)[number], number | string | undefined>;
export type MigrationCsvRow = Omit<MigrationRow, 'nova_schedule'> & { nova_schedule: string } & DiskIoColumns & SwitchoverColumns;

export const MIGRATION_CSV_COLUMNS = [
  'run_id',
  'pool',
  'flavor',
  'load',
  'rep',
  'vm',
  'source',
  'target',
  'status',
  'reason',
  'total_ms',
  'setup_ms',
  'downtime_ms',
  'downtime_real_ms',
  'probe_gap_haproxy_ms',
  'probe_gap_direct_ms',
  'transferred_bytes',
  'normal_pages',
  'zero_pages',
  'iterations',
  'dirty_rate_qemu_pages_s',
  'dirty_rate_guest_mib_s',
  'dirty_rate_calc_mib_s',
  'dirty_rate_calc_mode',
  'dirty_rate_calc_ms',
  'dirty_rate_guest_before_mib_s',
  'dirty_rate_calc_problem',
  'link_mbit',
  'lower_bound_ms',
  'total_over_bound',
  'pattern_verified',
  'verified_pages',
  'verified_blocks',
  'verify_ms',
  'verified_load_blocks',
  'nova_schedule',
  ...DISK_IO_CSV_COLUMNS,
  ...SWITCHOVER_CSV_COLUMNS,
  'started_at',
  'raw_file',
] as const satisfies readonly (keyof MigrationCsvRow)[];

export const FIO_CSV_COLUMNS = [
  'run_id',
  'pool',
  'job',
  'repeat',
  'status',
  'reason',
  'iops',
  'mib_s',
  'lat_mean_ms',
  'lat_p99_ms',
  'lat_p9999_ms',
  'runtime_s',
  'started_at',
  'raw_file',
] as const satisfies readonly (keyof FioRow)[];

/** A migration row as the CSV holds it: the schedule as one readable cell (`0s:50ms 150.2s:95ms`), the disk load and the switchover flat. */
export function migrationCsvRow(row: MigrationRow): MigrationCsvRow {
  const io = row.disk_io;
  const sw = row.switchover;
  const flat: Record<string, number | string | undefined> = {};
  for (const phase of DISK_LOAD_PHASES) {
    for (const k of DISK_IO_PHASE_FIELDS) flat[`io_${phase}_${k}`] = io?.[phase][k];
  }
  flat.io_mode = io?.mode;
  flat.io_queue_depth = io?.queue_depth;
  flat.io_errors = io?.errors;
  flat.blk_inflight_at_stop = sw?.inflight_at_stop ?? undefined;
  flat.blk_traced_requests = sw?.traced_requests ?? undefined;
  flat.blk_vcpu_pause_ms = sw?.vcpu_pause_ms ?? undefined;
  flat.blk_drain_flush_ms = sw?.drain_flush_ms ?? undefined;
  flat.blk_inactivate_ms = sw?.inactivate_ms ?? undefined;
  flat.blk_drain_share = sw?.drain_share ?? undefined;
  flat.blk_not_measured = sw ? sw.not_measured : 'not recorded (a run before the switchover was measured)';
  return { ...row, nova_schedule: scheduleText(row.nova_schedule ?? []), ...(flat as DiskIoColumns & SwitchoverColumns) };
}

/** RFC 4180 CSV; NaN and missing values are empty cells. */
export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const cell = (v: unknown): string => {
    if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** JSON cannot hold NaN: stored as null, read back as NaN (see `reviveNumbers`). */
export function jsonWithNaN(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
