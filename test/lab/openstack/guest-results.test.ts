import { checkPassed, guestChecks } from '../../../src/lab/openstack/guest-results.js';

/** Two of the guest's own checks as guest/dirtier.c prints them (its RESULT format), amid other console lines. */
const CONSOLE =
  [
    'READY-guest ip=',
    'STAT dirty_mib_s=16.0 disk_seq=40 mem_total_kib=240000 mem_avail_kib=180000 cpu_busy_pct=30',
    'RESULT-auto1 dl=none dl_bad=0 dl_blocks=0 first_bad_dl_block=-1 dl_ms=0 mem=ok mem_bad=0 mem_pages=16384 first_bad_page=-1 mem_ms=210 disk=ok disk_bad=0 disk_blocks=256 first_bad_block=-1 disk_ms=35 disk_seq=41',
    'RESULT-auto2 dl=FAIL dl_bad=3 dl_blocks=4096 first_bad_dl_block=17 dl_ms=90 mem=ok mem_bad=0 mem_pages=16384 first_bad_page=-1 mem_ms=205 disk=ok disk_bad=0 disk_blocks=256 first_bad_block=-1 disk_ms=30 disk_seq=80',
  ].join('\n') + '\n';

describe("the guest's own checks on its console", () => {
  it('reads each whole check line with what it compared', () => {
    const checks = guestChecks(CONSOLE);
    expect(
      checks.map((c) => ({ seq: c.seq, pages: c.verification.memPages, blocks: c.verification.diskBlocks, load: c.verification.loadBlocks })),
    ).toEqual([
      { seq: 1, pages: 16384, blocks: 256, load: undefined },
      { seq: 2, pages: 16384, blocks: 256, load: 4096 },
    ]);
  });

  it('passes a check only when memory, the disk ring and the disk load region are all intact', () => {
    expect(guestChecks(CONSOLE).map(checkPassed)).toEqual([true, false]);
  });

  it('leaves a line the guest is still writing for the next read', () => {
    expect(guestChecks(`${CONSOLE}RESULT-auto3 dl=none mem=ok mem_pa`).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('finds no check in a console without one', () => {
    expect(guestChecks('READY-guest ip=\nSTAT dirty_mib_s=0\n')).toEqual([]);
  });
});
