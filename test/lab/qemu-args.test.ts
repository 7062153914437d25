import { newcArchive } from '../../src/lab/cpio.js';
import { loadOrder, moduleDepends } from '../../src/lab/kernel-modules.js';
import { lastGuestStat, qemuArgs, qemuPreflightProblem, runFiles, vmMac, type VmDefinition } from '../../src/lab/qemu.js';
import { migrationTimeoutMs } from '../../src/lab/migrate.js';
import { testbedSpecSchema } from '../../src/config/schema.js';

const vm: VmDefinition = {
  name: 'vm-a',
  index: 3,
  flavor: 'small',
  ramMib: 256,
  vcpus: 1,
  disk: { kind: 'rbd', pool: 'bluestore', image: 'small-1', conf: '/lab/ceph/ceph.conf' },
  load: { wsMib: 128, rateMibS: 64, diskOpsS: 20 },
  address: '10.213.77.103/24',
  mac: vmMac(3),
};

describe('lab QEMU and guest parts', () => {
  it('builds an incoming QEMU argv with the RBD disk, fixed MAC, prealloc and padded RAM under old TCG', () => {
    // GIVEN QEMU 7.2 under TCG WHEN the incoming side's argv is built
    const args = qemuArgs(
      vm,
      { accel: 'tcg', version: '7.2.22', major: 7, ramPadKib: 4 },
      { kernel: '/k', initrd: '/i' },
      runFiles('/lab', 'vm-a', 'compute-2'),
      { incoming: true },
    );
    // THEN it carries what the lab relies on
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after('-m')).toBe('262148k');
    expect(after('-drive')).toBe('file=rbd:bluestore/small-1:conf=/lab/ceph/ceph.conf:id=admin,format=raw,if=none,id=disk0,cache=none');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=52:54:00:4c:00:03');
    expect(args).toEqual(expect.arrayContaining(['-mem-prealloc', '-incoming', 'defer', '-daemonize']));
    expect(after('-name')).toBe('vm-a,debug-threads=on');
    expect(after('-append')).toContain('tb.ip=10.213.77.103/24 tb.ws_mib=128 tb.rate_mib_s=64');
  });

  it('refuses TCG on QEMU < 9 with the apt command, and accepts KVM or QEMU 10', () => {
    expect(qemuPreflightProblem({ accel: 'tcg', version: '7.2.22', major: 7, ramPadKib: 4 })).toMatch(
      /apt-get install -y -t bookworm-backports qemu-system-x86/,
    );
    expect(qemuPreflightProblem({ accel: 'kvm', version: '7.2.22', major: 7, ramPadKib: 0 })).toBeUndefined();
    expect(qemuPreflightProblem({ accel: 'tcg', version: '10.0.2', major: 10, ramPadKib: 0 })).toBeUndefined();
  });

  it('orders kernel modules after their dependencies and fails naming a missing one', () => {
    const deps: Record<string, string[]> = { virtio_blk: ['virtio', 'virtio_ring'], virtio: ['virtio_ring'], virtio_ring: [] };
    expect(loadOrder(['virtio_blk'], (n) => deps[n])).toEqual(['virtio_ring', 'virtio', 'virtio_blk']);
    expect(() => loadOrder(['virtio_net'], (n) => deps[n])).toThrow(/virtio_net is needed by the guest but is not in the kernel package/);
    expect(moduleDepends(Buffer.from('\0license=GPL\0depends=virtio,virtio_ring\0vermagic=6.1\0'))).toEqual(['virtio', 'virtio_ring']);
  });

  it('writes newc cpio records padded to 4 bytes and ending with the trailer', () => {
    const a = newcArchive([{ type: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }]);
    const text = a.toString('latin1');
    expect(text.startsWith('070701')).toBe(true);
    expect(a.length % 4).toBe(0);
    expect(text).toContain('init\0');
    expect(text).toContain('TRAILER!!!\0');
  });

  it("reads the guest's last STAT line and scales the migration timeout by RAM", () => {
    const stat = lastGuestStat(
      'STAT t_ms=1 dirty_mib_s=10.0 disk_seq=4 mem_total_kib=200 mem_avail_kib=50 cpu_busy_pct=3\nSTAT t_ms=2 dirty_mib_s=32.0 disk_seq=9 mem_total_kib=200 mem_avail_kib=100 cpu_busy_pct=5\n',
    );
    expect(stat).toEqual({ dirtyMibS: 32, diskSeq: 9, memTotalKib: 200, memAvailKib: 100, cpuBusyPct: 5 });
    const lm = testbedSpecSchema.parse({}).live_migration;
    expect(migrationTimeoutMs(lm, 2048)).toBe(1_600_000);
    expect(migrationTimeoutMs({ ...lm, completion_timeout_s: 0 }, 2048)).toBe(Number.POSITIVE_INFINITY);
  });
});
