/**
 * What a migration record holds about block I/O: the guest's disk load per phase (loads `disk`,
 * `memory+disk`; measured by guest/dirtier.c, read by src/lab/guest-disk-load.ts) and the block side
 * of the switchover (measured from QEMU's trace events by src/lab/switchover-trace.ts). Types only,
 * and the record of a figure that could not be measured.
 */

export const DISK_LOAD_PHASES = ['before', 'during', 'after'] as const;
export type DiskLoadPhase = (typeof DISK_LOAD_PHASES)[number];

/** What the guest measured in one phase. */
export interface DiskIoPhase {
  /** Length of the phase, guest clock, s. */
  readonly seconds: number;
  /** Writes acknowledged in the phase. */
  readonly writes: number;
  readonly iops: number;
  readonly mib_s: number;
  readonly lat_mean_ms: number;
  /** Nearest-rank 99th percentile of the phase's write latencies. */
  readonly lat_p99_ms: number;
  readonly lat_max_ms: number;
}

/** The guest's report of its disk load around one migration. */
export interface DiskIoReport {
  readonly mode: 'direct' | 'fsync';
  readonly queue_depth: number;
  readonly target_iops: number;
  /** Writes that failed (not acknowledged). */
  readonly errors: number;
  readonly before: DiskIoPhase;
  readonly during: DiskIoPhase;
  readonly after: DiskIoPhase;
}

/** The block side of one switchover; a figure that could not be measured is null and `not_measured` says why. */
export interface SwitchoverBlockIo {
  /** virtio-blk read/write requests submitted and not completed when the vCPUs had stopped. */
  readonly inflight_at_stop: number | null;
  /** virtio-blk read/write requests the trace saw submitted from the start of tracing to the stop (shows the count had I/O to see). */
  readonly traced_requests: number | null;
  /** runstate finish-migrate → vCPUs paused (vm_state_notify), ms. */
  readonly vcpu_pause_ms: number | null;
  /** vm_state_notify → vm_stop_flush_all: bdrv_drain_all + bdrv_flush_all, ms. */
  readonly drain_flush_ms: number | null;
  /** migration_block_activation inactive → migration_precopy_complete: bdrv_inactivate_all, ms. */
  readonly inactivate_ms: number | null;
  /** (drain_flush_ms + inactivate_ms) ÷ the real downtime (STOP → RESUME). */
  readonly drain_share: number | null;
  readonly not_measured?: string;
}

/** Every figure null, with the reason. */
export function switchoverNotMeasured(why: string): SwitchoverBlockIo {
  return {
    inflight_at_stop: null,
    traced_requests: null,
    vcpu_pause_ms: null,
    drain_flush_ms: null,
    inactivate_ms: null,
    drain_share: null,
    not_measured: why,
  };
}
