/**
 * The hosts phase: the lab's network namespaces, the shared bridge and the shaped links (src/lab/netns.ts).
 */
import { planLabTopology } from '../../../config/index.js';
import { LabHostsBusyError, LabNetwork } from '../../../lab/index.js';
import { LabPhaseError, type LabPhase, type PhaseContext } from './phase.js';

/** A phase that runs inside the hosts, as the registry names it. */
export interface PhaseOnHosts {
  readonly name: string;
  readonly implementation: LabPhase;
}

function network(ctx: PhaseContext): LabNetwork {
  return new LabNetwork({ topology: planLabTopology(ctx.spec), linkMbit: ctx.spec.network.migration_bandwidth_mbit, log: ctx.log });
}

/**
 * `down` removes the namespaces. A deploy killed half-way can leave daemons of a later phase whose
 * `down` Terraform never ran (the resource never reached the state): then every later phase's
 * `down` runs first, newest first (each is idempotent), so that destroy still leaves nothing.
 * `onHosts` are the phases that run inside the hosts, in deploy order.
 */
export function hostsPhase(onHosts: readonly PhaseOnHosts[]): LabPhase {
  return {
    async up(ctx) {
      await network(ctx).up();
    },
    async down(ctx) {
      const net = network(ctx);
      try {
        await net.down();
        return;
      } catch (e) {
        if (!(e instanceof LabHostsBusyError)) throw e;
        ctx.log(`processes still run in the lab's namespaces (an interrupted deploy?): taking the later phases down first`);
      }
      for (const phase of [...onHosts].reverse()) {
        ctx.log(`${phase.name} down`);
        await phase.implementation.down({ ...ctx, log: (line) => ctx.log(`${phase.name}: ${line}`) });
      }
      try {
        await net.down();
      } catch (e) {
        if (e instanceof LabHostsBusyError) throw new LabPhaseError('hosts', e.message);
        throw e;
      }
    },
  };
}
