import { guestDirtyRates, parseDomStatsDirtyRate } from '../../../src/lab/openstack/dirty-rate.js';

describe("QEMU's dirty rate through virsh domstats --dirtyrate", () => {
  it('reads a finished measurement: status, MiB/s, mode and period', () => {
    const out = [
      "Domain: 'instance-0000000b'",
      '  dirtyrate.calc_status=2',
      '  dirtyrate.calc_start_time=348414',
      '  dirtyrate.calc_period=1',
      '  dirtyrate.calc_mode=page-sampling',
      '  dirtyrate.megabytes_per_second=58',
      '',
    ].join('\n');
    expect(parseDomStatsDirtyRate(out)).toEqual({ status: 2, mibPerS: 58, mode: 'page-sampling', periodS: 1 });
  });

  it('reads one still measuring without a rate, and nothing from an answer without the group', () => {
    expect(parseDomStatsDirtyRate("Domain: 'd'\n  dirtyrate.calc_status=1\n  dirtyrate.calc_period=1\n")).toEqual({ status: 1, periodS: 1 });
    expect(parseDomStatsDirtyRate("Domain: 'd'\n\n")).toBeUndefined();
  });

  it("takes the guest's own rate from each whole STAT line of its console", () => {
    const log =
      'STAT t_ms=34040 dirty_mib_s=46.7 dirty_pages=517867 ws_mib=1024 target_mib_s=64.0\r\n' +
      'RESULT-auto9 mem=ok\r\n' +
      'STAT t_ms=35042 dirty_mib_s=64.0 dirty_pages=534285 ws_mib=1024 target_mib_s=64.0\n' +
      'STAT t_ms=36044 dirty_mib_s=63.9 dirty_pa';
    expect(guestDirtyRates(log)).toEqual([46.7, 64]);
  });
});
