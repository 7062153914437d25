/**
 * The lab's phases, in order: the one list that the LabStack (one `terraform_data` resource per
 * phase, running `testbed lab <name> up`, and `down` on destroy, in reverse order), the hashes that
 * re-run a phase and the `testbed lab <name>` commands read.
 *
 * The lab makes hosts (preflight, hosts); from there on it is configured as a cloud is, by site.yml
 * over SSH, one phase per tag, and the guest goes to Glance.
 */
import { guestPhase } from './phases/guest.js';
import { hostsPhase } from './phases/hosts.js';
import type { LabPhase } from './phases/phase.js';
import { preflightPhase } from './phases/preflight.js';
import { sitePhase } from './phases/site.js';

export interface LabPhaseEntry {
  /** The LabStack's construct id (it names the Terraform resource: renaming it replaces the phase). */
  readonly id: string;
  /** `testbed lab <name> up|down`. */
  readonly name: string;
  readonly description: string;
  /** What the phase runs (folders and files from the project's root), hashed: a change re-runs the phase and the ones after it. */
  readonly sources: readonly string[];
  readonly implementation: LabPhase;
}

/** The phases' own code and the lab's wiring, a source of every phase. */
const WIRING = ['src/targets/lab/phases', 'src/targets/lab/context.ts', 'src/targets/lab/registry.ts'];
const SITE = ['templates', 'playbooks', 'src/render', 'src/lab/hosts/site-inventory.ts', ...WIRING];

export const LAB_PHASES: readonly LabPhaseEntry[] = [
  {
    id: 'Preflight',
    name: 'preflight',
    description: 'check root, disk and the Debian packages (installs what is missing)',
    sources: WIRING,
    implementation: preflightPhase,
  },
  {
    id: 'Hosts',
    name: 'hosts',
    description:
      'Debian 12 container hosts (systemd-nspawn) on the lab bridge: controller and computes, the package cache, SSH, shaped compute links',
    sources: ['src/lab/hosts', ...WIRING],
    implementation: hostsPhase,
  },
  {
    id: 'Ceph',
    name: 'ceph',
    description: 'Ceph on the controller: mon, mgr, Filestore and Bluestore OSDs on files, pools by device class (site.yml, tag ceph)',
    sources: SITE,
    implementation: sitePhase('ceph', ['ceph']),
  },
  {
    id: 'OpenStack',
    name: 'openstack',
    description:
      'OpenStack Zed: Keystone, Glance, Placement, Nova, Neutron, Cinder; nova-compute and libvirt on the computes; HAProxy (site.yml, tag openstack)',
    sources: SITE,
    implementation: sitePhase('openstack', ['openstack']),
  },
  {
    id: 'GuestImage',
    name: 'guest',
    description: "the guest kernel and initramfs, built offline, in the lab's Glance",
    sources: ['guest', 'src/lab/guest-image.ts', 'src/lab/kernel-modules.ts', 'src/lab/cpio.ts', 'src/lab/openstack', ...WIRING],
    implementation: guestPhase,
  },
  {
    id: 'PolicyJob',
    name: 'policy',
    description: "the migration-policy job as a systemd service on the controller, against the lab's Nova and HAProxy (site.yml, tag policy)",
    sources: [...SITE, 'src/policy'],
    implementation: sitePhase('policy', ['policy']),
  },
];
