import { Construct } from 'constructs';
import {
  DataOpenstackNetworkingNetworkV2,
  NetworkingNetworkV2,
  NetworkingRouterInterfaceV2,
  NetworkingRouterV2,
  NetworkingSubnetV2,
} from './bindings.js';

export interface TestbedNetworkProps {
  /** Prefix of every resource name. */
  readonly namePrefix: string;
  /** Management, API and migration range. */
  readonly cidr: string;
  /** Ceph replication range (a second network, not routed). */
  readonly clusterCidr: string;
  /** Name of the existing external network the router uplinks to. */
  readonly externalNetwork: string;
  /** Gateway of `cidr` (its .1). */
  readonly gateway: string;
  /** Addresses DHCP may hand out (Neutron's DHCP and router ports); the rest are fixed. */
  readonly dhcpRange: { readonly start: string; readonly end: string };
  /**
   * DNS servers of the testbed subnet.
   * @default - none: the cloud's own resolver
   */
  readonly dnsNameservers?: readonly string[];
  /**
   * MTU of both networks.
   * @default - the cloud's default
   */
  readonly mtu?: number;
}

/** The testbed's networks: a routed management network and an isolated Ceph cluster network. */
export class TestbedNetwork extends Construct {
  readonly networkId: string;
  readonly subnetId: string;
  readonly clusterNetworkId: string;
  readonly clusterSubnetId: string;
  readonly externalNetworkId: string;
  /** The router's interface on the testbed subnet; floating IPs must be released before it on destroy. */
  readonly routerInterface: NetworkingRouterInterfaceV2;

  constructor(scope: Construct, id: string, props: TestbedNetworkProps) {
    super(scope, id);
    const external = new DataOpenstackNetworkingNetworkV2(this, 'External', { name: props.externalNetwork, external: true });
    this.externalNetworkId = external.id;

    const network = new NetworkingNetworkV2(this, 'Resource', { name: `${props.namePrefix}-net`, adminStateUp: true, mtu: props.mtu });
    const subnet = new NetworkingSubnetV2(this, 'Subnet', {
      name: `${props.namePrefix}-subnet`,
      networkId: network.id,
      cidr: props.cidr,
      ipVersion: 4,
      gatewayIp: props.gateway,
      allocationPool: [{ ...props.dhcpRange }],
      dnsNameservers: props.dnsNameservers?.length ? [...props.dnsNameservers] : undefined,
    });
    const router = new NetworkingRouterV2(this, 'Router', { name: `${props.namePrefix}-router`, externalNetworkId: external.id });
    this.routerInterface = new NetworkingRouterInterfaceV2(this, 'RouterInterface', { routerId: router.id, subnetId: subnet.id });

    const cluster = new NetworkingNetworkV2(this, 'Cluster', { name: `${props.namePrefix}-ceph-cluster`, adminStateUp: true, mtu: props.mtu });
    const clusterSubnet = new NetworkingSubnetV2(this, 'ClusterSubnet', {
      name: `${props.namePrefix}-ceph-cluster-subnet`,
      networkId: cluster.id,
      cidr: props.clusterCidr,
      ipVersion: 4,
      noGateway: true,
    });

    this.networkId = network.id;
    this.subnetId = subnet.id;
    this.clusterNetworkId = cluster.id;
    this.clusterSubnetId = clusterSubnet.id;
  }
}
