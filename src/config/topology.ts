/**
 * The planned testbed: every host with its roles, fixed addresses and OSDs, derived from the spec.
 *
 * The cloud stack gives each host a port with exactly these addresses, so the Ansible inventory
 * rendered before deploy is the one that is true after it. Pure: no I/O, no cdktf.
 */
import { parseCidr } from './cidr.js';
import type { Backend, TestbedSpec } from './schema.js';

export type HostRole = 'controller' | 'compute' | 'ceph_mon' | 'ceph_mgr' | 'ceph_osd' | 'haproxy' | 'migration_policy';
export type NodeKind = 'controller' | 'compute' | 'ceph';

export interface PlannedOsd {
  /** Ceph OSD id, unique in the cluster (assigned in host, then slot order). */
  readonly id: number;
  readonly backend: Backend;
  readonly size_gb: number;
  /** Journal (Filestore) or DB (Bluestore) volume. */
  readonly aux: { readonly kind: 'journal' | 'db'; readonly size_gb: number };
}

export interface PlannedHost {
  readonly name: string;
  readonly kind: NodeKind;
  readonly node_flavor: NodeKind;
  readonly roles: readonly HostRole[];
  /** Fixed address on the testbed network. */
  readonly ip: string;
  /** Fixed address on the Ceph cluster network (Ceph nodes only). */
  readonly cluster_ip?: string;
  readonly osds: readonly PlannedOsd[];
}

export interface Topology {
  readonly hosts: readonly PlannedHost[];
  readonly gateway: string;
  /** The OpenStack API address HAProxy binds on the bastion (.9), kept out of DHCP. */
  readonly apiVip: string;
  /** DHCP's range (.2 to .8): Neutron's own ports take these, never a planned fixed address. */
  readonly dhcpRange: { readonly start: string; readonly end: string };
  /** The host that carries the floating IP, HAProxy and the policy job. */
  readonly bastion: string;
}

/** Host addresses start here in each range (.1 is the gateway; the rest is left to DHCP and the router). */
export const FIRST_HOST_OFFSET = 10;

export function ipAt(cidr: string, offset: number): string {
  const { base } = parseCidr(cidr);
  const n = base + offset;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** How many fixed host addresses a range can hold after FIRST_HOST_OFFSET (broadcast excluded). */
export function hostCapacity(cidr: string): number {
  const { bits } = parseCidr(cidr);
  return 2 ** (32 - bits) - 1 - FIRST_HOST_OFFSET;
}

export function hostCount(spec: TestbedSpec): number {
  return spec.controllers.count + spec.ceph.osd_nodes.length + spec.compute_hosts.length;
}

export function planTopology(spec: TestbedSpec): Topology {
  const hosts: PlannedHost[] = [];
  let offset = FIRST_HOST_OFFSET;
  let clusterOffset = FIRST_HOST_OFFSET;
  const monsOnControllers = spec.ceph.mon_placement === 'controllers';

  for (let i = 0; i < spec.controllers.count; i++) {
    const roles: HostRole[] = ['controller'];
    if (monsOnControllers && i < spec.ceph.mons) roles.push('ceph_mon');
    if (monsOnControllers && i < spec.ceph.mgrs) roles.push('ceph_mgr');
    if (i === 0) roles.push('haproxy', 'migration_policy');
    hosts.push({
      name: `controller-${i + 1}`,
      kind: 'controller',
      node_flavor: 'controller',
      roles,
      ip: ipAt(spec.network.cidr, offset++),
      osds: [],
    });
  }

  let osdId = 0;
  spec.ceph.osd_nodes.forEach((node, i) => {
    const roles: HostRole[] = ['ceph_osd'];
    if (!monsOnControllers && i < spec.ceph.mons) roles.push('ceph_mon');
    if (!monsOnControllers && i < spec.ceph.mgrs) roles.push('ceph_mgr');
    const osds = node.osds.map((o): PlannedOsd => ({
      id: osdId++,
      backend: o.backend,
      size_gb: o.size_gb,
      aux:
        o.backend === 'filestore'
          ? { kind: 'journal', size_gb: spec.ceph.filestore.journal_size_gb }
          : { kind: 'db', size_gb: spec.ceph.bluestore.db_size_gb },
    }));
    hosts.push({
      name: node.name,
      kind: 'ceph',
      node_flavor: 'ceph',
      roles,
      ip: ipAt(spec.network.cidr, offset++),
      cluster_ip: ipAt(spec.network.cluster_cidr, clusterOffset++),
      osds,
    });
  });

  for (const c of spec.compute_hosts) {
    hosts.push({ name: c.name, kind: 'compute', node_flavor: c.node_flavor, roles: ['compute'], ip: ipAt(spec.network.cidr, offset++), osds: [] });
  }

  return {
    hosts,
    gateway: ipAt(spec.network.cidr, 1),
    apiVip: ipAt(spec.network.cidr, FIRST_HOST_OFFSET - 1),
    dhcpRange: { start: ipAt(spec.network.cidr, 2), end: ipAt(spec.network.cidr, FIRST_HOST_OFFSET - 2) },
    bastion: hosts[0]!.name,
  };
}

/** Hosts that carry a role, in plan order. */
export function hostsWithRole(topology: Topology, role: HostRole): PlannedHost[] {
  return topology.hosts.filter((h) => h.roles.includes(role));
}
