import { Construct } from 'constructs';
import {
  APP_PORTS,
  CEPH_PORTS,
  CONTROL_PLANE_PORTS,
  HAPROXY_PORTS,
  MIGRATION_PORTS,
  OPENSTACK_API_PORTS,
  SSH_PORTS,
  type PortRange,
} from '../config/index.js';
import { NetworkingSecgroupRuleV2, NetworkingSecgroupV2 } from './bindings.js';

export interface TestbedSecurityGroupsProps {
  readonly namePrefix: string;
  /** The testbed network: every rule is opened to it (or to a group) only. */
  readonly cidr: string;
  /** The Ceph cluster network. */
  readonly clusterCidr: string;
  /**
   * Operator addresses allowed to SSH to the bastion and reach the load balancer.
   * @default - none: only the testbed itself
   */
  readonly adminCidrs?: readonly string[];
}

/** Security groups with the testbed's real ports, opened to its own CIDR or groups only. */
export class TestbedSecurityGroups extends Construct {
  readonly baseId: string;
  readonly controllerId: string;
  readonly computeId: string;
  readonly cephId: string;
  readonly bastionId: string;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: TestbedSecurityGroupsProps) {
    super(scope, id);
    this.prefix = props.namePrefix;
    const group = (gid: string, description: string) =>
      new NetworkingSecgroupV2(this, gid, { name: `${props.namePrefix}-${gid.toLowerCase()}`, description, deleteDefaultRules: false });

    const base = group('Base', 'SSH within the testbed');
    const controller = group('Controller', 'OpenStack APIs, control plane, Ceph mons and the load balancer');
    const compute = group('Compute', 'Live migration between computes, and the test application');
    const ceph = group('Ceph', 'Ceph mons, OSDs and mgrs');
    const bastion = group('Bastion', 'Operator access to the first controller');

    this.allow(base, SSH_PORTS, props.cidr);
    this.allow(controller, [...OPENSTACK_API_PORTS, ...CONTROL_PLANE_PORTS, ...HAPROXY_PORTS, ...CEPH_PORTS], props.cidr);
    this.allow(compute, [...MIGRATION_PORTS, ...APP_PORTS], props.cidr);
    this.allow(ceph, CEPH_PORTS, props.cidr);
    this.allow(ceph, CEPH_PORTS, props.clusterCidr, 'Cluster');
    for (const [i, admin] of (props.adminCidrs ?? []).entries()) this.allow(bastion, [...SSH_PORTS, ...HAPROXY_PORTS], admin, `Admin${i}`);

    this.baseId = base.id;
    this.controllerId = controller.id;
    this.computeId = compute.id;
    this.cephId = ceph.id;
    this.bastionId = bastion.id;
  }

  private allow(group: NetworkingSecgroupV2, ports: readonly PortRange[], remote: string, suffix = '') {
    for (const p of ports) {
      new NetworkingSecgroupRuleV2(this, `${group.node.id}-${p.name}${suffix}`, {
        securityGroupId: group.id,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: p.protocol,
        portRangeMin: p.from,
        portRangeMax: p.to,
        remoteIpPrefix: remote,
        description: `${this.prefix}: ${p.name}`,
      });
    }
  }
}
