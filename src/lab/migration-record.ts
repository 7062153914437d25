/**
 * One live migration in the lab, as the experiments consume it. A failed or cancelled migration is
 * recorded too (with `reason`), never dropped. Times are milliseconds; `raw` is QEMU's final
 * `query-migrate` reply from the source, unmodified.
 */
export type MigrationStatus = 'completed' | 'failed' | 'cancelled';
export type MigrationLoad = 'none' | 'memory';

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
  /** Shaped rate of the migration link (tc tbf), Mbit/s. */
  readonly link_mbit: number;
  /** The guest verified its memory pages and its disk pattern after the migration with nothing lost. */
  readonly pattern_verified: boolean;
  readonly raw: unknown;
}
