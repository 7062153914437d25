import { judgePreflight, parseQemuVersion, type PreflightFacts } from '../../src/lab-phases/preflight.js';

const healthy: PreflightFacts = { isRoot: true, freeGib: 80, hasKvm: true, qemuVersion: [7, 2, 22], missingPackages: [] };

describe('the lab preflight', () => {
  it('passes on a root machine with KVM, disk and every package', () => {
    expect(judgePreflight(healthy, 'auto')).toEqual({ accel: 'kvm', problems: [], fixes: [] });
  });

  it('accepts QEMU 7.2 under KVM but refuses it under TCG, with the backports fix', () => {
    const v = judgePreflight({ ...healthy, hasKvm: false }, 'auto');
    expect(v.accel).toBe('tcg');
    expect(v.problems).toEqual([
      'QEMU 7.2.22 under TCG loses guest writes during live migration (fixed in 9.0): install QEMU from bookworm-backports',
    ]);
    expect(v.fixes.at(-1)).toBe('apt-get update && apt-get install -y -t bookworm-backports qemu-system-x86 qemu-utils qemu-block-extra');
    expect(judgePreflight({ ...healthy, hasKvm: false, qemuVersion: [10, 0, 2] }, 'auto').problems).toEqual([]);
  });

  it('fails for a non-root user, a small disk and missing packages, all at once, with the install command', () => {
    const v = judgePreflight({ ...healthy, isRoot: false, freeGib: 3.2, missingPackages: ['ceph-osd', 'fio'] }, 'auto');
    expect(v.problems).toEqual([
      'the lab needs root (network namespaces, tc, Ceph daemons): run it as root',
      'lab.dir has 3.2 GiB free; the lab needs about 15 GiB: free space or point lab.dir at a larger disk',
      'missing Debian packages: ceph-osd fio',
    ]);
    expect(v.fixes).toEqual(['apt-get update && apt-get install -y --no-install-recommends ceph-osd fio']);
  });

  it('fails when KVM is required but absent', () => {
    expect(judgePreflight({ ...healthy, hasKvm: false, qemuVersion: [10, 0, 2] }, 'kvm').problems).toEqual([
      'lab.accel is kvm but /dev/kvm is missing: set lab.accel to auto or tcg',
    ]);
  });

  it('reads the QEMU version line', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright')).toEqual([7, 2, 22]);
    expect(parseQemuVersion('QEMU emulator version 10.0.2')).toEqual([10, 0, 2]);
    expect(parseQemuVersion('nope')).toBeUndefined();
  });
});
