import { downtimeFromEvents, parseQemuMonitorEvents } from '../../../src/lab/openstack/qemu-events.js';

const source = [
  "event STOP at 1764810000.100000 for domain 'instance-00000002': <null>",
  "event STOP at 1764810012.345678 for domain 'instance-00000001': <null>",
  '',
].join('\n');
const target = "event RESUME at 1764810012.398012 for domain 'instance-00000001': <null>\nevents received: 1\n";

describe("QEMU's events through virsh qemu-monitor-event", () => {
  it("reads each event's name, domain and QEMU's timestamp to the microsecond", () => {
    expect(parseQemuMonitorEvents(source)).toEqual([
      { event: 'STOP', domain: 'instance-00000002', atMs: 1764810000100 },
      { event: 'STOP', domain: 'instance-00000001', atMs: 1764810012345.678 },
    ]);
  });

  it("takes the downtime as the destination's RESUME minus the source's STOP of the same domain", () => {
    const d = downtimeFromEvents(parseQemuMonitorEvents(source), parseQemuMonitorEvents(target), 'instance-00000001');
    expect(d.problem).toBeUndefined();
    expect(d.ms).toBeCloseTo(52.334, 3);
  });

  it('says what is missing instead of a figure when an event was not seen', () => {
    const stops = parseQemuMonitorEvents(source);
    expect(downtimeFromEvents(stops, [], 'instance-00000001')).toEqual({ ms: NaN, problem: 'no RESUME of instance-00000001 on the destination' });
    const early = parseQemuMonitorEvents("event RESUME at 1764810001.000000 for domain 'instance-00000001': <null>");
    expect(downtimeFromEvents(stops, early, 'instance-00000001').problem).toMatch(/no STOP of instance-00000001 on the source before/);
  });
});
