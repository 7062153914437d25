/**
 * The one-machine lab's sizing, from the spec: its Ceph (OSDs per backend, the pools with the lab's
 * pg_num and size), the lab flavors' RAM, and the addresses the render falls back to when it is not
 * given the host plan (a controller at .10, computes from .11 on). The container hosts themselves
 * are planned by src/lab/hosts/host-plan.ts, which the render then gets (`labHosts`); the `netns`
 * names are the hosts' names on this machine.
 * Pure: no I/O.
 */
import { ipAt } from './topology.js';
import { FLAVOR_NAMES, type Backend, type FlavorName, type TestbedSpec } from './schema.js';

export interface LabHost {
  readonly name: string;
  /** Network namespace name on this machine. */
  readonly netns: string;
  readonly ip: string;
  readonly role: 'controller' | 'compute';
}

export interface LabOsd {
  readonly id: number;
  readonly backend: Backend;
}

export interface LabPool {
  readonly name: string;
  readonly backend: Backend;
  readonly pg_num: number;
  readonly size: number;
  readonly min_size: number;
}

export interface LabTopology {
  readonly prefix: string;
  readonly bridge: string;
  readonly prefixLength: number;
  readonly controller: LabHost;
  readonly computes: readonly LabHost[];
  readonly osds: readonly LabOsd[];
  readonly pools: readonly LabPool[];
  /** RAM in MiB of each scaled flavor. */
  readonly flavorRamMib: Readonly<Record<FlavorName, number>>;
  /** First VM address offset in lab.cidr. */
  readonly firstVmOffset: number;
}

export const LAB_NETNS_PREFIX = 'tb';
export const LAB_FIRST_VM_OFFSET = 100;

export function planLabTopology(spec: TestbedSpec): LabTopology {
  const prefixLength = Number(spec.lab.cidr.split('/')[1]);
  const controller: LabHost = { name: 'controller', netns: `${LAB_NETNS_PREFIX}-controller`, ip: ipAt(spec.lab.cidr, 10), role: 'controller' };
  const computes = Array.from({ length: spec.lab.compute_hosts }, (_, i): LabHost => ({
    name: `compute-${i + 1}`,
    netns: `${LAB_NETNS_PREFIX}-compute-${i + 1}`,
    ip: ipAt(spec.lab.cidr, 11 + i),
    role: 'compute',
  }));
  const backends: Backend[] = ['filestore', 'bluestore'];
  const osds = backends.flatMap((backend, b) =>
    Array.from({ length: spec.lab.osds_per_backend }, (_, i): LabOsd => ({ id: b * spec.lab.osds_per_backend + i, backend })),
  );
  const pools = spec.ceph.pools.map((p): LabPool => ({
    name: p.name,
    backend: p.backend,
    pg_num: spec.lab.pool_pg_num,
    size: spec.lab.pool_size,
    min_size: Math.min(p.min_size, spec.lab.pool_size),
  }));
  const flavorRamMib = Object.fromEntries(FLAVOR_NAMES.map((f) => [f, spec.flavors[f].lab_ram_mib])) as Record<FlavorName, number>;
  return {
    prefix: LAB_NETNS_PREFIX,
    bridge: spec.lab.bridge,
    prefixLength,
    controller,
    computes,
    osds,
    pools,
    flavorRamMib,
    firstVmOffset: LAB_FIRST_VM_OFFSET,
  };
}
