import { testbedSpecSchema } from '../../../src/config/schema.js';
import { guestLoad } from '../../../src/targets/lab/executor.js';
import { kernelCommandLine } from '../../../src/lab/qemu.js';
import { withVerifyDefaults } from '../../../src/lab/vms.js';

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
    // AND the guest gets them on its kernel command line
    const fsync = testbedSpecSchema.parse({ experiments: { disk_load: { iops: 50, queue_depth: 1, mode: 'fsync', region_mib: 8 } } });
    const cmdline = kernelCommandLine({
      name: 'vm',
      index: 0,
      flavor: 'small',
      ramMib: 256,
      vcpus: 1,
      disk: { kind: 'file', path: '/d' },
      load: guestLoad(fsync, 256, 'disk'),
      address: '10.0.0.1/24',
      mac: '52:54:00:00:00:01',
    });
    expect(cmdline).toContain(' tb.dl_iops=50 tb.dl_qd=1 tb.dl_mode=fsync tb.dl_region_mib=8');
    expect(
      kernelCommandLine({
        ...{ name: 'vm', index: 0, flavor: 'small', ramMib: 256, vcpus: 1 },
        disk: { kind: 'file', path: '/d' },
        load: guestLoad(spec, 256, 'none'),
        address: '10.0.0.1/24',
        mac: '52:54:00:00:00:01',
      }),
    ).not.toContain('tb.dl_');
  });

  it('passes the pattern size and the ring to the guest on its kernel command line, with the same defaults for VMs booted outside an experiment', () => {
    const load = withVerifyDefaults({ wsMib: 0, rateMibS: 0, diskOpsS: 20 }, 2048);
    expect(load).toEqual(guestLoad(spec, 2048, 'none'));
    const cmdline = kernelCommandLine({
      name: 'vm',
      index: 0,
      flavor: 'xlarge',
      ramMib: 2048,
      vcpus: 1,
      disk: { kind: 'file', path: '/d' },
      load,
      address: '10.0.0.1/24',
      mac: '52:54:00:00:00:01',
    });
    expect(cmdline).toContain(' tb.verify_mib=512 tb.disk_blocks=256');
  });
});
