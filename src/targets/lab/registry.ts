/**
 * The lab's phases, in order: the one list that the LabStack (one `terraform_data` resource per
 * phase, running `testbed lab <name> up`, and `down` on destroy, in reverse order), the hashes that
 * re-run a phase and the `testbed lab <name>` commands read.
 */
import { cephPhase } from './phases/ceph.js';
import { guestPhase } from './phases/guest.js';
import { haproxyPhase } from './phases/haproxy.js';
import { hostsPhase } from './phases/hosts.js';
import type { LabPhase } from './phases/phase.js';
import { policyPhase } from './phases/policy.js';
import { preflightPhase } from './phases/preflight.js';
import { vmsPhase } from './phases/vms.js';

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

const ON_HOSTS: readonly LabPhaseEntry[] = [
  {
    id: 'Ceph',
    name: 'ceph',
    description: 'Ceph: mon, mgr, Filestore and Bluestore OSDs, pools and RBD images (playbooks, tag ceph)',
    sources: ['templates', 'playbooks', 'src/render', ...WIRING],
    implementation: cephPhase,
  },
  {
    id: 'GuestImage',
    name: 'guest',
    description: 'the guest kernel and initramfs, built offline',
    sources: ['guest', 'src/lab', ...WIRING],
    implementation: guestPhase,
  },
  {
    id: 'LoadBalancer',
    name: 'haproxy',
    description: 'HAProxy in the controller namespace, in front of the VMs',
    sources: ['templates', 'src/render', ...WIRING],
    implementation: haproxyPhase,
  },
  {
    id: 'Vms',
    name: 'vms',
    description: 'one small VM per pool, booted from RBD in the compute namespaces, added to HAProxy',
    sources: ['src/lab', ...WIRING],
    implementation: vmsPhase,
  },
  {
    id: 'PolicyJob',
    name: 'policy',
    description: 'the migration-policy job, as a background service',
    sources: ['src/policy', 'src/targets/drivers.ts', ...WIRING],
    implementation: policyPhase,
  },
];

export const LAB_PHASES: readonly LabPhaseEntry[] = [
  {
    id: 'Preflight',
    name: 'preflight',
    description: 'check root, disk, packages and the QEMU version (installs what is missing)',
    sources: WIRING,
    implementation: preflightPhase,
  },
  {
    id: 'Hosts',
    name: 'hosts',
    description: 'network namespaces, the shared bridge and the shaped links',
    sources: ['src/lab', ...WIRING],
    implementation: hostsPhase(ON_HOSTS),
  },
  ...ON_HOSTS,
];
