import { Construct } from 'constructs';
import { ComputeInstanceV2, NetworkingPortV2 } from './bindings.js';

export interface NodeAddress {
  readonly networkId: string;
  readonly subnetId: string;
  readonly ip: string;
  readonly securityGroupIds: readonly string[];
  /**
   * Extra ranges the port may send from (nested VMs on computes, for instance).
   * @default - only the fixed address
   */
  readonly allowedRanges?: readonly string[];
}

export interface TestbedNodeProps {
  readonly hostName: string;
  readonly namePrefix: string;
  readonly flavorName: string;
  readonly imageName: string;
  readonly keyPairName: string;
  /** First address: the testbed network (also the host's identity in the inventory). */
  readonly addresses: readonly [NodeAddress, ...NodeAddress[]];
  /**
   * Anti-affinity server group to schedule into.
   * @default - no group
   */
  readonly serverGroupId?: string;
  /**
   * @default - the cloud's default zone
   */
  readonly availabilityZone?: string;
  /** Ansible role names, stored as instance metadata for operators. */
  readonly roles: readonly string[];
}

/** One testbed machine: ports with fixed IPs (so the inventory is stable) and the instance on them. */
export class TestbedNode extends Construct {
  readonly instanceId: string;
  readonly portIds: readonly string[];
  readonly ip: string;

  constructor(scope: Construct, id: string, props: TestbedNodeProps) {
    super(scope, id);
    const ports = props.addresses.map(
      (a, i) =>
        new NetworkingPortV2(this, i === 0 ? 'Port' : `Port${i}`, {
          name: `${props.namePrefix}-${props.hostName}-${i}`,
          networkId: a.networkId,
          adminStateUp: true,
          fixedIp: [{ subnetId: a.subnetId, ipAddress: a.ip }],
          securityGroupIds: [...a.securityGroupIds],
          allowedAddressPairs: a.allowedRanges?.map((ipAddress) => ({ ipAddress })),
        }),
    );
    const instance = new ComputeInstanceV2(this, 'Resource', {
      name: `${props.namePrefix}-${props.hostName}`,
      flavorName: props.flavorName,
      imageName: props.imageName,
      keyPair: props.keyPairName,
      availabilityZone: props.availabilityZone,
      network: ports.map((p) => ({ port: p.id })),
      schedulerHints: props.serverGroupId ? [{ group: props.serverGroupId }] : undefined,
      metadata: { testbed: props.namePrefix, host: props.hostName, roles: props.roles.join(',') },
    });
    this.instanceId = instance.id;
    this.portIds = ports.map((p) => p.id);
    this.ip = props.addresses[0].ip;
  }
}
