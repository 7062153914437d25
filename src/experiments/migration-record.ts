/**
 * One live migration in the lab, as the experiments consume it. A failed or cancelled migration is
 * recorded too (with `reason`), never dropped. Times are milliseconds; `raw` is QEMU's final
 * `query-migrate` reply from the source, unmodified.
 */
import type { MIGRATION_LOADS } from '../config/index.js';
import type { DiskIoReport, SwitchoverBlockIo } from './block-io.js';
import type { ScheduleEvent } from './nova-schedule.js';

export type MigrationStatus = 'completed' | 'failed' | 'cancelled';
/** What the guest does during a migration (the spec's MIGRATION_LOADS). */
export type MigrationLoad = (typeof MIGRATION_LOADS)[number];

/** The load dirties memory (`memory`, `memory+disk`). */
export function loadDirtiesMemory(load: MigrationLoad): boolean {
  return load === 'memory' || load === 'memory+disk';
}

/** The load writes to the guest's disk (`disk`, `memory+disk`). */
export function loadWritesDisk(load: MigrationLoad): boolean {
  return load === 'disk' || load === 'memory+disk';
}

export interface MigrationRecord {
  readonly vm: string;
  readonly flavor: string;
  /** Pool of the VM's disk (RBD), or `file` for a raw file disk. */
  readonly pool: string;
  readonly load: MigrationLoad;
  readonly rep: number;
  /** Source and target host names (e.g. compute-1). */
  readonly source: string;
  readonly target: string;
  readonly status: MigrationStatus;
  readonly reason?: string;
  /** QEMU's `total-time`. */
  readonly total_ms: number;
  /** QEMU's `setup-time`. */
  readonly setup_ms: number;
  /** QEMU's own `downtime` figure. */
  readonly downtime_ms: number;
  /** Destination RESUME event − source STOP event (QMP timestamps, same host clock); NaN when unknown. */
  readonly downtime_real_ms: number;
  readonly transferred_bytes: number;
  /** ram.normal (pages sent in full). */
  readonly normal_pages: number;
  /** ram.duplicate (zero pages, a few bytes each on the wire). */
  readonly zero_pages: number;
  /** ram.dirty-sync-count. */
  readonly iterations: number;
  /** ram.dirty-pages-rate of the last iteration (distinct pages per second; saturates at the working set). */
  readonly dirty_rate_qemu_pages_s?: number;
  /** The in-guest dirtier's own last report, MiB/s. */
  readonly dirty_rate_guest_mib_s?: number;
  /** QEMU's `calc-dirty-rate` on the source just before the migration, MiB/s (distinct pages dirtied in the window). */
  readonly dirty_rate_calc_mib_s?: number;
  /** The mode QEMU measured it with (`dirty-bitmap` in the lab; `page-sampling` when QEMU refused that). */
  readonly dirty_rate_calc_mode?: string;
  /** Its window, ms. */
  readonly dirty_rate_calc_ms?: number;
  /** The guest's own report for the same window (its first STAT line after the measurement), MiB/s. */
  readonly dirty_rate_guest_before_mib_s?: number;
  /** Why there is no `dirty_rate_calc_mib_s` (e.g. the cloud target: "not measurable here"). */
  readonly dirty_rate_calc_problem?: string;
  /** Nova's time, ms: the os-migrateLive call until the server is ACTIVE on the target with no task left (client clock). */
  readonly nova_ms?: number;
  /** Nova's migration record, `updated_at − created_at`, ms (the cloud's clock, 1 s resolution). */
  readonly nova_record_ms?: number;
  /** Shaped rate of the migration link (tc tbf), Mbit/s. */
  readonly link_mbit: number;
  /**
   * The guest checked its memory pattern (every byte of `verified_pages` pages) and its disk ring
   * (`verified_blocks` blocks read back from the disk) on the destination after the migration, with
   * nothing lost; false when either check found a difference or had nothing to check.
   */
  readonly pattern_verified: boolean;
  /** Pages (4 KiB) the guest compared in full after the migration; 0 or absent: none (e.g. the cloud target). */
  readonly verified_pages?: number;
  /** Disk blocks (4 KiB) the guest read back and compared after the migration; 0 or absent: none. */
  readonly verified_blocks?: number;
  /** Host wall time of the check (request to result over the serial console), ms. */
  readonly verify_ms?: number;
  /** Blocks of the disk load's region (every block it wrote) the guest read back and compared after the migration; absent without a disk load. */
  readonly verified_load_blocks?: number;
  /** The guest's write throughput and latency before, during and after the migration (loads `disk`, `memory+disk`). */
  readonly disk_io?: DiskIoReport;
  /** Block I/O at the switchover, from the source QEMU's trace events (in flight at the stop, drain + flush, inactivation, share of the downtime). */
  readonly switchover?: SwitchoverBlockIo;
  /** What the driver did to the running migration as Nova's libvirt driver would (downtime steps, timeout action), with times. */
  readonly nova_schedule?: readonly ScheduleEvent[];
  readonly raw: unknown;
}
