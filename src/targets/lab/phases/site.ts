/**
 * The phases that configure the hosts: site.yml, the very playbook a cloud gets, over SSH with the
 * site inventory (the render for the host plan, src/targets/lab/context.ts), one tag per phase.
 * Their `down` is the hosts' (what they install lives inside the containers), so it only says so.
 */
import { ansiblePlaybook, PlaybookFailedError } from '../../../exec/index.js';
import { labHosts, renderLab } from '../context.js';
import { LabPhaseError, type LabPhase } from './phase.js';

export function sitePhase(name: string, tags: readonly string[]): LabPhase {
  return {
    async up({ spec, log }) {
      const hosts = labHosts(spec);
      const down = (await hosts.status()).filter((h) => !h.running).map((h) => h.name);
      if (down.length) throw new LabPhaseError(name, `hosts not running: ${down.join(', ')}; run the hosts phase first (testbed lab hosts up)`);
      const { inventory } = renderLab(spec, log);
      const t0 = Date.now();
      try {
        await ansiblePlaybook({
          playbook: 'site.yml',
          inventory,
          tags: [...tags],
          extraVars: { migration_policy_dry_run: spec.lab.policy_job === 'dry-run' },
        });
      } catch (e) {
        if (e instanceof PlaybookFailedError) throw new LabPhaseError(name, e.message);
        throw e;
      }
      log(`site.yml --tags ${tags.join(',')}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
    async down({ log }) {
      log(`${name}: removed with the hosts (everything it installed runs inside them)`);
    },
  };
}
