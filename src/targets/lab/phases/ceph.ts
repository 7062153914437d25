/**
 * The lab's Ceph: the project's own Ceph roles (playbooks/site.yml, tag ceph) run inside the lab's
 * controller namespace, so the daemons listen on the controller's lab address and the compute
 * namespaces reach them over the bridge. Teardown is playbooks/teardown.yml, tag ceph.
 */
import { existsSync } from 'node:fs';
import { planLabTopology } from '../../../config/index.js';
import { ansiblePlaybook, PlaybookFailedError } from '../../../exec/index.js';
import { netnsExists } from '../../../lab/index.js';
import { renderLab } from '../context.js';
import { LabPhaseError, type LabPhase, type PhaseContext } from './phase.js';

async function inController(ctx: PhaseContext, playbook: string, inventory: string) {
  const ns = planLabTopology(ctx.spec).controller.netns;
  const wrap = netnsExists(ns) ? ['ip', 'netns', 'exec', ns] : [];
  if (!wrap.length && playbook === 'site.yml')
    throw new LabPhaseError('ceph', `the controller namespace ${ns} does not exist: run the hosts phase first (testbed lab hosts up)`);
  await ansiblePlaybook({ playbook, inventory, tags: ['ceph'], command: [...wrap, 'ansible-playbook'] });
}

export const cephPhase: LabPhase = {
  async up(ctx) {
    const { inventory } = renderLab(ctx);
    try {
      await inController(ctx, 'site.yml', inventory);
    } catch (e) {
      if (e instanceof PlaybookFailedError) throw new LabPhaseError('ceph', e.message);
      throw e;
    }
  },
  async down(ctx) {
    const { inventory } = renderLab(ctx);
    if (!existsSync(inventory)) return;
    await inController(ctx, 'teardown.yml', inventory);
  },
};
