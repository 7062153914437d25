/**
 * The guest phase: builds the lab's guest image offline (kernel from linux-image-amd64, a busybox
 * initramfs with the dirtier and the checker) and uploads it to the lab's Glance: the kernel and
 * initramfs, and the idle variant's disk image. The experiments add a variant per flavor × load
 * (src/targets/lab/executor.ts). Its `down` is the hosts' (Glance's images are in the lab's Ceph).
 */
import { buildGuestImage, ensureGlanceGuest } from '../../../lab/index.js';
import { GUEST_VERIFY_EVERY_S, openLabCloud } from '../context.js';
import type { LabPhase } from './phase.js';

export const guestPhase: LabPhase = {
  async up({ spec, log }) {
    const t0 = Date.now();
    const image = await buildGuestImage({ labDir: spec.lab.dir, log });
    log(`guest image ${image.cached ? 'cached' : 'built'} (${image.kernelPackage}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const { client } = openLabCloud(spec);
    const glance = await ensureGlanceGuest({ client, image, variants: [{ name: 'idle', args: `tb.verify_every_s=${GUEST_VERIFY_EVERY_S}` }], log });
    log(`guest in Glance: kernel ${glance.kernelId}, ramdisk ${glance.ramdiskId}, ${glance.uploaded} image(s) uploaded`);
  },
  async down({ log }) {
    log('guest: its Glance images go with the hosts');
  },
};
