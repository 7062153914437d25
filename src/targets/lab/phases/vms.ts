/**
 * The lab's standing VMs: one small VM per pool, booted from an RBD image in that pool, spread
 * over the compute namespaces and registered in HAProxy's `app` backend with weight W2.
 */
import { labImage, openLab, removeFromLoadBalancer } from '../context.js';
import { LabPhaseError, type LabPhase } from './phase.js';

export function standingVmName(pool: string): string {
  return `${pool}-small`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export const vmsPhase: LabPhase = {
  async up(ctx) {
    const lab = await openLab(ctx.spec, ctx.log);
    const running = new Set(
      lab.vms
        .list()
        .filter((v) => lab.vms.running(v))
        .map((v) => v.name),
    );
    const registered = new Set((await lab.lb.readBack().catch(() => [])).map((s) => s.server));
    for (const [i, pool] of lab.topology.pools.entries()) {
      const name = standingVmName(pool.name);
      let vm = running.has(name) ? lab.vms.get(name) : undefined;
      if (!vm) {
        try {
          vm = await lab.vms.boot({
            name,
            host: lab.topology.computes[i % lab.topology.computes.length]!.name,
            flavor: 'small',
            ramMib: lab.topology.flavorRamMib.small,
            disk: { kind: 'rbd', pool: pool.name, image: labImage('small'), conf: lab.cephConf },
          });
        } catch (e) {
          throw new LabPhaseError('vms', `booting ${name} from rbd:${pool.name}/${labImage('small')}: ${(e as Error).message}`);
        }
      }
      if (!registered.has(name)) {
        await lab.lb.addServer({ backend: lab.backend, server: name }, vm.address.split('/')[0]!, 80, ctx.spec.policy.weights.w2);
        ctx.log(`${name}: in HAProxy backend ${lab.backend} (weight ${ctx.spec.policy.weights.w2})`);
      }
    }
  },
  async down(ctx) {
    const lab = await openLab(ctx.spec, ctx.log);
    const registered = new Set((await lab.lb.readBack().catch(() => [])).map((s) => s.server));
    for (const vm of lab.vms.list()) {
      if (registered.has(vm.name)) await removeFromLoadBalancer(lab, vm.name, ctx.log);
      await lab.vms.stop(vm.name);
    }
  },
};
