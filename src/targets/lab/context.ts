/**
 * Everything a lab command needs, built once from the spec: the plan, where Ceph's files are,
 * the guest image, QEMU's runtime, the VMs, the driver (ComputeApi + MetricsSource) and the load
 * balancer (HAProxy's runtime API).
 */
import { join } from 'node:path';
import { planLabTopology, type LabTopology } from '../config/lab-topology.js';
import type { TestbedSpec } from '../config/schema.js';
import { LabDriver } from '../lab/driver.js';
import { buildGuestImage } from '../lab/guest-image.js';
import { detectQemu } from '../lab/qemu.js';
import { LabVms } from '../lab/vms.js';
import { HaproxyLoadBalancer } from '../policy/haproxy-lb.js';
import { labAccel } from './guest.js';
import { haproxyFiles } from './haproxy.js';

export interface LabContext {
  readonly spec: TestbedSpec;
  readonly topology: LabTopology;
  /** The ceph.conf the lab's clients use (the one the Ceph roles installed under lab.dir). */
  readonly cephConf: string;
  readonly vms: LabVms;
  readonly driver: LabDriver;
  readonly lb: HaproxyLoadBalancer;
  /** HAProxy's backend for the VMs' application. */
  readonly backend: string;
}

/** The RBD image a lab VM of `flavor` boots from in each pool (created by the ceph_pools role). */
export function labImage(flavor: string): string {
  return `${flavor}-1`;
}

export function cephConfPath(spec: TestbedSpec): string {
  return join(spec.lab.dir, 'ceph', 'ceph.conf');
}

export async function openLab(spec: TestbedSpec, log: (line: string) => void = () => {}): Promise<LabContext> {
  const topology = planLabTopology(spec);
  const image = await buildGuestImage({ labDir: spec.lab.dir, log });
  const runtime = await detectQemu(labAccel(spec));
  const vms = new LabVms({
    labDir: spec.lab.dir,
    topology,
    cidr: spec.lab.cidr,
    runtime,
    image: { kernel: image.kernel, initrd: image.initrd },
    log,
  });
  const driver = new LabDriver({ vms, settings: spec.live_migration, linkMbit: spec.network.migration_bandwidth_mbit, log });
  const lb = new HaproxyLoadBalancer({ socket: haproxyFiles(spec.lab.dir).socket });
  return { spec, topology, cephConf: cephConfPath(spec), vms, driver, lb, backend: 'app' };
}

/**
 * Removes a server from HAProxy's backend: HAProxy refuses while connections are attached (idle
 * keep-alive ones included), so it is put in maintenance, its sessions are shut, and the removal retried.
 */
export async function removeFromLoadBalancer(lab: LabContext, server: string, log: (line: string) => void = () => {}): Promise<void> {
  const ref = { backend: lab.backend, server };
  let last: Error | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await lab.lb.removeServer(ref);
      return;
    } catch (e) {
      last = e as Error;
      if (/No such server|not found/i.test(last.message)) return;
      await lab.lb.command(`disable server ${lab.backend}/${server}`).catch(() => '');
      await lab.lb.command(`shutdown sessions server ${lab.backend}/${server}`).catch(() => '');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  log(`HAProxy: ${server} stays in ${lab.backend}: ${last?.message}`);
}
