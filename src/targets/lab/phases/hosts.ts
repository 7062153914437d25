/**
 * The hosts phase: the lab's Debian container hosts on the lab bridge (src/lab/hosts), with the
 * package cache, SSH, and the compute links shaped to the spec's migration bandwidth.
 *
 * Everything the later phases install runs inside these containers (Ceph, OpenStack, HAProxy, the
 * policy job, the VMs' QEMU), so `down` takes all of it with them, also after a deploy killed at any
 * point: there is nothing outside the hosts for a later phase's `down` to catch.
 */
import { labHosts } from '../context.js';
import type { LabPhase } from './phase.js';

export const hostsPhase: LabPhase = {
  async up({ spec, log }) {
    const t0 = Date.now();
    const up = await labHosts(spec, log).up();
    log(
      `hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${up.hosts.map((h) => `${h.host.name} ${h.host.ip}`).join(', ')}; rootfs ${up.rootfs.built ? `built in ${((up.rootfs.buildMs ?? 0) / 1000).toFixed(0)} s` : 'cached'}`,
    );
  },
  async down({ spec, log }) {
    await labHosts(spec, log).down();
  },
};
