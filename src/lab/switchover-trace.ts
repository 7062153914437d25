/**
 * Where the switchover's downtime goes on the block side, measured from QEMU's own trace events on
 * the source (QEMU ≥ 10, `log` trace backend, timestamps from `-msg timestamp=on`, written to the
 * QEMU log given by `-D`). What QEMU 10 does when a precopy migration completes
 * (migration/migration.c `migration_completion_precopy`, system/cpus.c `do_vm_stop`):
 *
 * 1. `runstate_set … (finish-migrate)`, then the vCPUs are paused;
 * 2. `vm_state_notify running 0 … (finish-migrate)`, then the QMP STOP event;
 * 3. `bdrv_drain_all()` (waits for every block request in flight) and `bdrv_flush_all()`, then
 *    `vm_stop_flush_all`;
 * 4. `migration_block_activation inactive`: `bdrv_inactivate_all()` (flushes again and gives up the
 *    image), then `migration_precopy_complete`, and the last RAM and device state are sent.
 *
 * So drain + flush = (3) − (2) and inactivation = (4)'s two events, both on the source's clock, the
 * same clock as the QMP STOP/RESUME timestamps of the real downtime. Block requests in flight when
 * the vCPUs stopped are the virtio-blk read/write requests (`virtio_blk_handle_read|write`) not yet
 * completed (`virtio_blk_rw_complete`, matched by request pointer) at (2). Flush requests have no
 * submission trace event, so they are not counted. QEMU's `query-blockstats` has no in-flight count
 * and `query-migrate` no block figure, so these trace events are the only source.
 */
import { switchoverNotMeasured, type SwitchoverBlockIo } from '../experiments/index.js';
import type { QmpClient } from './qmp.js';

export { switchoverNotMeasured, type SwitchoverBlockIo };

/** The trace events the measurement needs, enabled on the source just before `migrate`. */
export const SWITCHOVER_TRACE_EVENTS = [
  'runstate_set',
  'vm_state_notify',
  'vm_stop_flush_all',
  'migration_block_activation',
  'migration_precopy_complete',
  'virtio_blk_handle_write',
  'virtio_blk_handle_read',
  'virtio_blk_rw_complete',
] as const;

/** Turns the trace events on (`trace-event-set-state`); an event this QEMU does not have is an error. */
export async function enableSwitchoverTrace(qmp: QmpClient, enable = true): Promise<void> {
  for (const name of SWITCHOVER_TRACE_EVENTS) await qmp.execute('trace-event-set-state', { name, enable });
}

interface TraceLine {
  readonly atMs: number;
  readonly name: string;
  readonly args: string;
}

/** `pid@seconds.micros:name args` lines of the `log` trace backend with `-msg timestamp=on`. */
export function parseTraceLines(text: string): TraceLine[] {
  const out: TraceLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+@(\d+)\.(\d{6}):(\w+) ?(.*)$/.exec(line.trim());
    if (m) out.push({ atMs: Number(m[1]) * 1000 + Number(m[2]) / 1000, name: m[3]!, args: m[4]! });
  }
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The block side of the switchover in the source's trace log (from where tracing was enabled),
 * against the real downtime (ms, NaN when unknown).
 */
export function measureSwitchover(traceText: string, downtimeRealMs: number): SwitchoverBlockIo {
  const lines = parseTraceLines(traceText);
  const missing = switchoverNotMeasured;
  if (lines.length === 0) return missing('no timestamped trace events in the source QEMU log (needs -msg timestamp=on and the log trace backend)');
  const stopAt = lines.findIndex((l) => l.name === 'runstate_set' && /new_state \d+ \(finish-migrate\)/.test(l.args));
  if (stopAt < 0) return missing('no switchover to finish-migrate in the source trace (the migration did not reach its stop-and-copy phase)');
  // A guest already paused (Nova's timeout action `pause`) goes to finish-migrate without a vCPU stop.
  const wasPaused = /current_run_state \d+ \(paused\)/.test(lines[stopAt]!.args);
  const notified = lines.findIndex((l, i) => i > stopAt && l.name === 'vm_state_notify' && /running 0\b/.test(l.args));
  const notifyAt = notified >= 0 ? notified : wasPaused ? stopAt : -1;
  if (notifyAt < 0) return missing('the source went to finish-migrate but its vCPUs never stopped in the trace (no vm_state_notify running 0)');
  const flushAt = lines.findIndex((l, i) => i > notifyAt && l.name === 'vm_stop_flush_all');
  const inactAt = lines.findIndex((l, i) => i > notifyAt && l.name === 'migration_block_activation' && /\binactive\b/.test(l.args));
  const completeAt = lines.findIndex((l, i) => i > inactAt && inactAt >= 0 && l.name === 'migration_precopy_complete');

  const open = new Set<string>();
  let submitted = 0;
  for (const l of lines.slice(0, notifyAt)) {
    const req = /\breq (0x[0-9a-f]+|\(nil\))/.exec(l.args)?.[1];
    if (!req) continue;
    if (l.name === 'virtio_blk_handle_write' || l.name === 'virtio_blk_handle_read') {
      open.add(req);
      submitted++;
    } else if (l.name === 'virtio_blk_rw_complete') open.delete(req);
  }
  const at = (i: number) => lines[i]!.atMs;
  const drain = flushAt >= 0 ? round3(at(flushAt) - at(notifyAt)) : null;
  const inactivate = inactAt >= 0 && completeAt >= 0 ? round3(at(completeAt) - at(inactAt)) : null;
  const reasons: string[] = [];
  if (notified < 0)
    reasons.push('the guest was paused before the switchover (timeout action pause): no vCPU stop to time; drain + flush timed from finish-migrate');
  if (drain === null) reasons.push('no vm_stop_flush_all after the stop');
  if (inactivate === null) reasons.push('no migration_block_activation inactive / migration_precopy_complete pair');
  if (!Number.isFinite(downtimeRealMs) || downtimeRealMs <= 0) reasons.push('no real downtime to divide by');
  const share =
    drain !== null && inactivate !== null && Number.isFinite(downtimeRealMs) && downtimeRealMs > 0 ? (drain + inactivate) / downtimeRealMs : null;
  return {
    inflight_at_stop: open.size,
    traced_requests: submitted,
    vcpu_pause_ms: notified >= 0 ? round3(at(notifyAt) - at(stopAt)) : null,
    drain_flush_ms: drain,
    inactivate_ms: inactivate,
    drain_share: share === null ? null : Math.round(share * 1e6) / 1e6,
    ...(reasons.length ? { not_measured: reasons.join('; ') } : {}),
  };
}
