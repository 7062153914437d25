/**
 * The cloud's post-deploy phases, in order: the one list that the TestbedStack (one `terraform_data`
 * resource per phase, running `testbed phase <name>`), its config hash and the `testbed phase`
 * command read.
 */
import { sitePlaybookPhase, type CloudPhase } from './phases.js';

export interface CloudPhaseEntry {
  /** The TestbedStack's construct id (it names the Terraform resource: renaming it replaces the phase). */
  readonly id: string;
  /** `testbed phase <name>`. */
  readonly name: string;
  readonly description: string;
  /** The site.yml tags the phase runs. */
  readonly tags: readonly string[];
  /** What the phase runs (folders from the project's root), hashed: a change re-runs the phases. */
  readonly sources: readonly string[];
  readonly implementation: CloudPhase;
}

const CONFIG = ['templates', 'playbooks'];

function phase(entry: Omit<CloudPhaseEntry, 'sources' | 'implementation'>): CloudPhaseEntry {
  return { ...entry, sources: CONFIG, implementation: sitePlaybookPhase(entry.tags) };
}

export const CLOUD_PHASES: readonly CloudPhaseEntry[] = [
  phase({ id: 'ConfigureCeph', name: 'ceph', description: 'configure Ceph (mons, mgrs, OSDs, pools, RBD images)', tags: ['common', 'ceph'] }),
  phase({ id: 'ConfigureOpenstack', name: 'openstack', description: 'configure OpenStack (controllers, computes, HAProxy)', tags: ['openstack'] }),
  phase({ id: 'StartPolicyJob', name: 'policy', description: 'start the migration-policy job', tags: ['policy'] }),
];
