import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loopDevicesUnder, majMin, parseLoopDevices } from '../../../src/lab/hosts/loop-devices.js';

describe('loop devices a container left behind', () => {
  const root = mkdtempSync('/tmp/testbed-loop-root-');
  mkdirSync(join(root, 'var/lib/ceph'), { recursive: true });
  const disk = join(root, 'var/lib/ceph/disk.img');
  writeFileSync(disk, 'x');
  const st = statSync(disk);
  const other = mkdtempSync('/tmp/testbed-loop-other-');
  writeFileSync(join(other, 'disk.img'), 'y');
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  });

  const json = (devices: { name: string; file: string; ino: number; dev?: string }[]) =>
    JSON.stringify({
      loopdevices: devices.map((d) => ({ name: d.name, 'back-file': d.file, 'back-ino': d.ino, 'back-maj:min': d.dev ?? majMin(st.dev) })),
    });

  it('finds a device attached inside the container by the inode under its root, and one attached from the host by its path', () => {
    // GIVEN one device attached inside (container path), one from the host, one elsewhere, one whose name matches but inode does not
    const devices = parseLoopDevices(
      json([
        // losetup pads the device column even in JSON
        { name: '/dev/loop0', file: '/var/lib/ceph/disk.img', ino: st.ino, dev: `     ${majMin(st.dev)}  ` },
        { name: '/dev/loop1', file: disk, ino: st.ino },
        { name: '/dev/loop2', file: join(other, 'disk.img'), ino: statSync(join(other, 'disk.img')).ino },
        { name: '/dev/loop3', file: '/var/lib/ceph/disk.img', ino: st.ino + 1 },
        { name: '/dev/loop4', file: '/var/lib/ceph/disk.img (deleted)', ino: st.ino, dev: '999:999' },
      ]),
    );
    // THEN only the first two are ours
    expect(loopDevicesUnder(root, devices).map((d) => d.name)).toEqual(['/dev/loop0', '/dev/loop1']);
  });

  it('reads an empty list, and decodes device numbers as Linux does', () => {
    expect(parseLoopDevices('')).toEqual([]);
    expect(parseLoopDevices('{"loopdevices":[]}')).toEqual([]);
    // 254:1 (vda1) is 0xfe01; 259:65536 needs the high minor bits
    expect(majMin(0xfe01)).toBe('254:1');
    expect(majMin((259 << 8) | (((65536 >> 8) & 0xfff) << 20))).toBe('259:65536');
  });
});
