import { readFileSync } from 'node:fs';
import { parseDomJobInfo } from '../../../src/lab/openstack/libvirt-jobinfo.js';

/**
 * `virsh domjobinfo --completed` on the destination compute after a lab migration (bluestore, small,
 * memory+disk load, 2026-12-02): the values as libvirt 9.0 printed them, in virsh's column layout.
 */
const COMPLETED = readFileSync(new URL('./fixtures/domjobinfo-completed-incoming.txt', import.meta.url), 'utf8');

describe("libvirt's statistics of a completed migration", () => {
  it("reads QEMU's total time, downtime and setup time in ms", () => {
    expect(parseDomJobInfo(COMPLETED)).toMatchObject({ operation: 'Incoming migration', timeElapsedMs: 4212, downtimeMs: 82, setupMs: 2 });
  });

  it('reads what was sent, in bytes to the printed precision, and the pages and iterations', () => {
    const job = parseDomJobInfo(COMPLETED);
    expect(job.dataProcessedBytes).toBe(Math.round(415.403 * 1024 * 1024));
    expect(job.memoryProcessedBytes).toBe(job.dataProcessedBytes);
    expect({ normal: job.normalPages, constant: job.constantPages, iterations: job.iterations }).toEqual({
      normal: 106021,
      constant: 18507,
      iterations: 9,
    });
  });

  it('keeps every field as printed, and leaves out what an answer without a job lacks', () => {
    expect(parseDomJobInfo(COMPLETED).fields['Downtime w/o network']).toBe('81 ms');
    const none = parseDomJobInfo('Job type:         None\n\n');
    expect(none).toEqual({
      operation: undefined,
      timeElapsedMs: undefined,
      downtimeMs: undefined,
      setupMs: undefined,
      dataProcessedBytes: undefined,
      memoryProcessedBytes: undefined,
      normalPages: undefined,
      constantPages: undefined,
      iterations: undefined,
      fields: { 'Job type': 'None' },
    });
  });
});
