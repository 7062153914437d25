import { parseDiskLoadReport } from '../../src/lab/guest-disk-load.js';
import { parseVerification, verificationProblem } from '../../src/lab/qemu.js';

// A line as guest/dirtier.c prints it (after `DISKLOAD-<id> `), from a run on a raw file.
const LINE =
  'mode=direct qd=4 target_iops=200 region_blocks=4096 errors=0 ' +
  'before_s=1.996 before_n=400 before_iops=200.4 before_mib_s=0.783 before_lat_mean_ms=0.258 before_lat_p99_ms=0.647 before_lat_max_ms=5.863 ' +
  'during_s=2.006 during_n=401 during_iops=199.9 during_mib_s=0.781 during_lat_mean_ms=0.257 during_lat_p99_ms=0.640 during_lat_max_ms=6.718 ' +
  'after_s=2.007 after_n=396 after_iops=197.3 after_mib_s=0.771 after_lat_mean_ms=0.218 after_lat_p99_ms=0.923 after_lat_max_ms=2.824';

describe("the guest's disk load report", () => {
  it('reads the three phases', () => {
    const r = parseDiskLoadReport(LINE)!;
    expect(r).toMatchObject({ mode: 'direct', queue_depth: 4, target_iops: 200, errors: 0 });
    expect(r.during).toEqual({ seconds: 2.006, writes: 401, iops: 199.9, mib_s: 0.781, lat_mean_ms: 0.257, lat_p99_ms: 0.64, lat_max_ms: 6.718 });
    expect([r.before.writes, r.after.lat_p99_ms]).toEqual([400, 0.923]);
  });

  it('is undefined for a guest without a disk load, and fails on a line it cannot read', () => {
    expect(parseDiskLoadReport('none')).toBeUndefined();
    expect(() => parseDiskLoadReport(LINE.replace(/ during_iops=\S+/, ''))).toThrow('guest disk load report: no number for "during_iops"');
    expect(() => parseDiskLoadReport(LINE.replace('mode=direct', 'mode=aio'))).toThrow('mode "aio" is neither direct nor fsync');
  });

  it('makes the verification fail when a block the load wrote differs, and pass only when it checked some', () => {
    const base = 'mem=ok mem_bad=0 mem_pages=16384 disk=ok disk_bad=0 disk_blocks=256';
    expect(parseVerification(`dl=ok dl_bad=0 dl_blocks=812 ${base}`, 5)).toMatchObject({ ok: true, loadBlocks: 812, loadBad: 0 });
    const bad = parseVerification(`dl=FAIL dl_bad=1 dl_blocks=812 ${base}`, 5);
    expect(bad.ok).toBe(false);
    expect(verificationProblem(bad)).toBe('1 of 812 disk-load blocks differ');
    expect(verificationProblem(parseVerification(`dl=ok dl_bad=0 dl_blocks=0 ${base}`, 5))).toBe('the disk load wrote no block to check');
    // AND a guest without a disk load is checked as before
    const none = parseVerification(`dl=none dl_bad=0 dl_blocks=0 ${base}`, 5);
    expect([none.ok, 'loadBlocks' in none]).toEqual([true, false]);
  });
});
