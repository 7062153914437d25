import { testbedSpecSchema } from '../../../src/config/schema.js';
import { guestLoadArgs } from '../../../src/lab/openstack/guest-args.js';
import { guestLoad, variantName } from '../../../src/targets/lab/executor.js';

describe("the lab executor's guest load", () => {
  const spec = testbedSpecSchema.parse({});

  it('gives an idle guest a pattern over 25 % of its RAM and a 256-block disk ring to check', () => {
    expect(guestLoad(spec, 256, 'none')).toEqual({ wsMib: 0, rateMibS: 0, diskOpsS: 20, verifyMib: 64, diskBlocks: 256 });
  });

  it('checks at least the working set of a loaded guest', () => {
    // 50 % of 512 MiB dirtied at 64 MiB/s: the pattern covers those 256 MiB
    expect(guestLoad(spec, 512, 'memory')).toEqual({ wsMib: 256, rateMibS: 64, diskOpsS: 20, verifyMib: 256, diskBlocks: 256 });
    // a share above the working set wins
    const wide = testbedSpecSchema.parse({ experiments: { verify: { memory_pct: 60, disk_blocks: 1024 } } });
    expect(guestLoad(wide, 1000, 'memory')).toMatchObject({ wsMib: 500, verifyMib: 600, diskBlocks: 1024 });
  });

  it("gives a disk load the spec's rate, queue depth, mode and region, alone or with the memory load", () => {
    // GIVEN the defaults: 200 IOPS, 4 in flight, O_DIRECT, 16 MiB
    const disk = { iops: 200, queueDepth: 4, mode: 'direct', regionMib: 16 };
    // THEN `disk` writes without dirtying memory, and `memory+disk` does both
    expect(guestLoad(spec, 256, 'disk')).toEqual({ wsMib: 0, rateMibS: 0, diskOpsS: 20, verifyMib: 64, diskBlocks: 256, diskLoad: disk });
    expect(guestLoad(spec, 256, 'memory+disk')).toMatchObject({ wsMib: 128, rateMibS: 64, diskLoad: disk });
    // AND the guest gets them on its kernel command line (the Glance image's os_command_line)
    const fsync = testbedSpecSchema.parse({ experiments: { disk_load: { iops: 50, queue_depth: 1, mode: 'fsync', region_mib: 8 } } });
    expect(guestLoadArgs(guestLoad(fsync, 256, 'disk'), 4)).toContain(' tb.dl_iops=50 tb.dl_qd=1 tb.dl_mode=fsync tb.dl_region_mib=8');
    expect(guestLoadArgs(guestLoad(spec, 256, 'none'), 4)).not.toContain('tb.dl_');
  });

  it('passes the pattern size, the ring and the check period to the guest on its kernel command line', () => {
    expect(guestLoadArgs(guestLoad(spec, 2048, 'none'), 4)).toBe(
      'tb.ws_mib=0 tb.rate_mib_s=0 tb.disk_ops_s=20 tb.verify_mib=512 tb.disk_blocks=256 tb.verify_every_s=4',
    );
  });

  it('names one Glance image per flavor and load', () => {
    expect(['none', 'memory', 'disk', 'memory+disk'].map((l) => variantName('xlarge', l as 'none'))).toEqual([
      'xlarge-none',
      'xlarge-memory',
      'xlarge-disk',
      'xlarge-memory-disk',
    ]);
  });
});
