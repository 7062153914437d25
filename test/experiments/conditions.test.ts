import { testbedSpecSchema } from '../../src/config/schema.js';
import { specHash } from '../../src/config/derived.js';
import {
  blockDeviceName,
  collectLocalConditions,
  defaultAccel,
  parseCephVersion,
  parseQemuVersion,
  parseTbf,
} from '../../src/experiments/conditions.js';
import type { Runner } from '../../src/exec/runner.js';
import { execaRunner } from '../../src/exec/runner.js';
import { describeWhere, missing } from '../support/requirements.js';

describe('the conditions parsers', () => {
  it('read versions, the block device and the tbf rate', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright')).toBe('7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)');
    expect(parseCephVersion('ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)\n')).toBe('16.2.15 pacific (stable)');
    expect(blockDeviceName('/dev/vda1')).toBe('vda');
    expect(blockDeviceName('/dev/nvme0n1p2')).toBe('nvme0n1');
    expect(blockDeviceName('/dev/loop3')).toBe('loop3');
    expect(parseTbf('qdisc tbf 8001: root refcnt 2 rate 1Gbit burst 125000b lat 50ms\n')).toBe('tc tbf rate 1Gbit burst 125000b');
    expect(parseTbf('qdisc noqueue 0: root refcnt 2\n')).toBeNull();
  });
});

describe('the accelerator a run records', () => {
  it("is this machine's /dev/kvm for the lab, and unknown for a cloud whatever the client has", () => {
    expect(defaultAccel('lab', () => true)).toBe('kvm');
    expect(defaultAccel('lab', () => false)).toBe('tcg');
    expect(defaultAccel('cloud', () => true)).toBe('unknown');
    expect(defaultAccel('cloud', () => false)).toBe('unknown');
  });

  it('is unknown in the conditions of a cloud run unless the executor says', async () => {
    const noTools: Runner = async () => {
      throw new Error('not installed');
    };
    const spec = testbedSpecSchema.parse({ lab: { dir: '/' } });
    expect((await collectLocalConditions({ runner: noTools, spec, target: 'cloud' })).accel).toBe('unknown');
    expect((await collectLocalConditions({ runner: noTools, spec, target: 'cloud', accel: 'kvm' })).accel).toBe('kvm');
  });
});

describeWhere(missing({ binaries: ['qemu-system-x86_64', 'ceph'] }), 'the conditions of this machine', () => {
  it('name the CPU, kernel, QEMU, Ceph and fio versions, the disk under the lab, the spec hash and the commit', async () => {
    const spec = testbedSpecSchema.parse({ lab: { dir: '/' } });
    const c = await collectLocalConditions({ runner: execaRunner, spec, target: 'lab', accel: 'tcg' });
    expect(c.cpu_cores).toBeGreaterThan(0);
    expect(c.cpu_model).not.toBe('');
    expect(c.qemu_version).toMatch(/^\d+\.\d+/);
    expect(c.ceph_version).toMatch(/^16\.2\.\d+ pacific/);
    expect(c.fio_version).toMatch(/^\d+\.\d+/);
    expect(c.storage.fstype).toMatch(/^(ext4|xfs|overlay|btrfs|tmpfs)$/);
    expect(c.spec_hash).toBe(specHash(spec));
    expect(c.git_commit).toMatch(/^[0-9a-f]{40}$/);
    expect(c.link).toEqual({ mbit: 1000, shaping: 'not read back' });
  });
});
