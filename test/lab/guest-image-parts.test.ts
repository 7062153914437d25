import { newcArchive } from '../../src/lab/cpio.js';
import { loadOrder, moduleDepends } from '../../src/lab/kernel-modules.js';

describe("the guest image's parts", () => {
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
});
