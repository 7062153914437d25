/**
 * The generated OpenStack provider bindings that our constructs use, imported module by module
 * (not through the provider's index, which would load all 169 resource classes at synth time).
 * `.gen/` is produced by `npm run get`; never edit it by hand.
 */
export { OpenstackProvider } from '../../.gen/providers/openstack/provider/index.js';
export { BlockstorageVolumeV3 } from '../../.gen/providers/openstack/blockstorage-volume-v3/index.js';
export { ComputeFlavorV2 } from '../../.gen/providers/openstack/compute-flavor-v2/index.js';
export { ComputeInstanceV2 } from '../../.gen/providers/openstack/compute-instance-v2/index.js';
export { ComputeKeypairV2 } from '../../.gen/providers/openstack/compute-keypair-v2/index.js';
export { ComputeServergroupV2 } from '../../.gen/providers/openstack/compute-servergroup-v2/index.js';
export { ComputeVolumeAttachV2 } from '../../.gen/providers/openstack/compute-volume-attach-v2/index.js';
export { DataOpenstackNetworkingNetworkV2 } from '../../.gen/providers/openstack/data-openstack-networking-network-v2/index.js';
export { NetworkingFloatingipAssociateV2 } from '../../.gen/providers/openstack/networking-floatingip-associate-v2/index.js';
export { NetworkingFloatingipV2 } from '../../.gen/providers/openstack/networking-floatingip-v2/index.js';
export { NetworkingNetworkV2 } from '../../.gen/providers/openstack/networking-network-v2/index.js';
export { NetworkingPortV2 } from '../../.gen/providers/openstack/networking-port-v2/index.js';
export { NetworkingRouterInterfaceV2 } from '../../.gen/providers/openstack/networking-router-interface-v2/index.js';
export { NetworkingRouterV2 } from '../../.gen/providers/openstack/networking-router-v2/index.js';
export { NetworkingSecgroupRuleV2 } from '../../.gen/providers/openstack/networking-secgroup-rule-v2/index.js';
export { NetworkingSecgroupV2 } from '../../.gen/providers/openstack/networking-secgroup-v2/index.js';
export { NetworkingSubnetV2 } from '../../.gen/providers/openstack/networking-subnet-v2/index.js';
