import { measureSwitchover, parseTraceLines, switchoverNotMeasured } from '../../src/lab/switchover-trace.js';

// The format of QEMU 10's `log` trace backend with -msg timestamp=on: pid@seconds.micros:event args.
const trace = (lines: [number, string][]) => lines.map(([t, l]) => `4242@${(1796194382 + t).toFixed(6)}:${l}`).join('\n') + '\n';

const switchover = trace([
  [0.1, 'virtio_blk_handle_write vdev 0x55d0 req 0xa1 sector 2048 nsectors 8'],
  [0.101, 'virtio_blk_rw_complete vdev 0x55d0 req 0xa1 ret 0'],
  [0.2, 'virtio_blk_handle_write vdev 0x55d0 req 0xa2 sector 4096 nsectors 8'],
  [0.201, 'virtio_blk_handle_read vdev 0x55d0 req 0xa3 sector 8 nsectors 8'],
  [0.3, 'runstate_set current_run_state 9 (running) new_state 7 (finish-migrate)'],
  [0.302, 'vm_state_notify running 0 reason 7 (finish-migrate)'],
  [0.3025, 'virtio_blk_rw_complete vdev 0x55d0 req 0xa2 ret 0'],
  [0.3031, 'virtio_blk_rw_complete vdev 0x55d0 req 0xa3 ret 0'],
  [0.306, 'vm_stop_flush_all ret 0'],
  [0.3062, 'migration_block_activation inactive'],
  [0.3071, 'migration_precopy_complete '],
]);

describe('the block side of the switchover, from QEMU trace events', () => {
  it('parses pid@seconds.micros:event lines and skips everything else', () => {
    // GIVEN a log with an error_report line between two trace lines
    const lines = parseTraceLines(
      '4242@1796194382.842198:runstate_set current_run_state 9 (running) new_state 4 (paused)\nqemu: warning: x\n4242@1796194382.844455:vm_stop_flush_all ret 0\n',
    );
    // THEN both trace lines are read with microsecond times
    expect(lines.map((l) => [l.name, l.atMs])).toEqual([
      ['runstate_set', 1796194382842.198],
      ['vm_stop_flush_all', 1796194382844.455],
    ]);
  });

  it('counts the requests in flight when the vCPUs stopped and times drain + flush and inactivation', () => {
    // WHEN a switchover with two requests still open at the stop is measured against 50 ms of real downtime
    const m = measureSwitchover(switchover, 50);
    // THEN two requests were in flight, drain + flush took 4 ms, inactivation 0.9 ms, 9.8 % of the downtime
    expect(m).toEqual({ inflight_at_stop: 2, traced_requests: 3, vcpu_pause_ms: 2, drain_flush_ms: 4, inactivate_ms: 0.9, drain_share: 0.098 });
  });

  it('times drain + flush from finish-migrate when the guest was already paused (timeout action pause)', () => {
    // GIVEN a guest paused by the driver before QEMU's own switchover
    const paused = trace([
      [0.1, 'runstate_set current_run_state 9 (running) new_state 4 (paused)'],
      [0.101, 'vm_state_notify running 0 reason 4 (paused)'],
      [0.102, 'vm_stop_flush_all ret 0'],
      [2.0, 'runstate_set current_run_state 4 (paused) new_state 7 (finish-migrate)'],
      [2.0015, 'vm_stop_flush_all ret 0'],
      [2.002, 'migration_block_activation inactive'],
      [2.003, 'migration_precopy_complete '],
    ]);
    // THEN the second drain + flush is the switchover's, with no vCPU stop to time, and it says so
    expect(measureSwitchover(paused, 1000)).toEqual({
      inflight_at_stop: 0,
      traced_requests: 0,
      vcpu_pause_ms: null,
      drain_flush_ms: 1.5,
      inactivate_ms: 1,
      drain_share: 0.0025,
      not_measured:
        'the guest was paused before the switchover (timeout action pause): no vCPU stop to time; drain + flush timed from finish-migrate',
    });
  });

  it('says what it could not measure instead of making a figure up', () => {
    // GIVEN a trace without the inactivation pair and no real downtime
    const partial = switchover
      .split('\n')
      .filter((l) => !/migration_block_activation|migration_precopy_complete/.test(l))
      .join('\n');
    const m = measureSwitchover(partial, Number.NaN);
    // THEN the missing figures are null and the reasons are given
    expect(m).toMatchObject({ inflight_at_stop: 2, drain_flush_ms: 4, inactivate_ms: null, drain_share: null });
    expect(m.not_measured).toBe('no migration_block_activation inactive / migration_precopy_complete pair; no real downtime to divide by');
    // AND a log without a switchover, or without timestamps, gives nothing but the reason
    expect(measureSwitchover(trace([[0.1, 'vm_stop_flush_all ret 0']]), 50)).toEqual(
      switchoverNotMeasured('no switchover to finish-migrate in the source trace (the migration did not reach its stop-and-copy phase)'),
    );
    expect(measureSwitchover('vm_stop_flush_all ret 0\n', 50).not_measured).toMatch(/no timestamped trace events/);
  });
});
