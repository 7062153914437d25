import { Construct } from 'constructs';
import { Fn, LocalBackend, TerraformLocal, TerraformOutput, TerraformStack } from 'cdktf';
import { nodeRamMib, planTopology, type NodeKind, type TestbedSpec } from '../src/config/index.js';
import {
  ComputeKeypairV2,
  ComputeServergroupV2,
  NetworkingFloatingipAssociateV2,
  NetworkingFloatingipV2,
  NodeFlavors,
  OpenstackProvider,
  OsdVolumes,
  PostDeployPhase,
  TestbedNetwork,
  TestbedNode,
  TestbedSecurityGroups,
  type AttachedOsd,
  type ComputeVolumeAttachV2,
  type NodeAddress,
} from '../src/constructs/index.js';
import { CLOUD_PHASES } from '../src/targets/index.js';

export interface TestbedStackProps {
  readonly spec: TestbedSpec;
  /** sha256 of the spec (re-runs the post-deploy phases when it changes). */
  readonly specHash: string;
  /** sha256 of what the phases run (their `sources`: templates/ and playbooks/), likewise. */
  readonly configHash: string;
  /**
   * Terraform state file. Relative paths are resolved by Terraform from the stack's working
   * directory (cdktf.out/stacks/<id>), so the default climbs back to the project root: the state
   * outlives `cdktf synth` and no machine-specific absolute path lands in the JSON.
   * @default '../../../terraform.<id>.tfstate'
   */
  readonly statePath?: string;
}

/**
 * The study's testbed on an existing OpenStack cloud: network, security groups, nodes, OSD volumes and the post-deploy phases.
 * With `cloud.deploy: infrastructure` the post-deploy phases are left out and everything else is the same, resource for resource.
 */
export class TestbedStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: TestbedStackProps) {
    super(scope, id);
    const { spec } = props;
    const prefix = spec.name;
    const topology = planTopology(spec);

    new LocalBackend(this, { path: props.statePath ?? `../../../terraform.${id}.tfstate` });
    // Credentials stay in clouds.yaml: the provider only names the cloud.
    new OpenstackProvider(this, 'openstack', { cloud: spec.cloud.name, region: spec.cloud.region });

    const net = new TestbedNetwork(this, 'Network', {
      namePrefix: prefix,
      cidr: spec.network.cidr,
      clusterCidr: spec.network.cluster_cidr,
      externalNetwork: spec.cloud.external_network,
      gateway: topology.gateway,
      dhcpRange: topology.dhcpRange,
      dnsNameservers: spec.network.dns_nameservers,
      mtu: spec.network.mtu,
    });
    const groups = new TestbedSecurityGroups(this, 'SecurityGroups', {
      namePrefix: prefix,
      cidr: spec.network.cidr,
      clusterCidr: spec.network.cluster_cidr,
      adminCidrs: spec.cloud.admin_cidrs,
    });
    const keyPair = new ComputeKeypairV2(this, 'KeyPair', {
      name: spec.cloud.key_pair.name,
      publicKey: Fn.file(Fn.pathexpand(spec.cloud.key_pair.public_key_file)),
    });
    const size = (kind: NodeKind) => {
      const s = spec.node_flavors[kind];
      return { vcpus: s.vcpus, ramMib: nodeRamMib(s), diskGb: s.disk_gb };
    };
    const flavors = new NodeFlavors(this, 'Flavors', {
      namePrefix: prefix,
      sizes: { controller: size('controller'), compute: size('compute'), ceph: size('ceph') },
      create: spec.cloud.create_flavors,
    });
    const antiAffinity = (gid: string, what: string) =>
      new ComputeServergroupV2(this, gid, { name: `${prefix}-${what}`, policies: [spec.cloud.server_group_policy] });
    const serverGroups: Partial<Record<NodeKind, string>> = {
      controller: antiAffinity('ControllerGroup', 'controllers').id,
      ceph: antiAffinity('CephGroup', 'ceph').id,
    };

    const groupIds: Record<NodeKind, string[]> = {
      controller: [groups.baseId, groups.controllerId],
      compute: [groups.baseId, groups.computeId],
      ceph: [groups.baseId, groups.cephId],
    };
    const nodes = new Construct(this, 'Nodes');
    const osdVolumes = new Construct(this, 'OsdVolumes');
    const instances: TestbedNode[] = [];
    const attached = new Map<string, readonly AttachedOsd[]>();
    const attachments: ComputeVolumeAttachV2[] = [];
    for (const host of topology.hosts) {
      const isBastion = host.name === topology.bastion;
      const addresses: [NodeAddress, ...NodeAddress[]] = [
        {
          networkId: net.networkId,
          subnetId: net.subnetId,
          ip: host.ip,
          securityGroupIds: isBastion ? [...groupIds[host.kind], groups.bastionId] : groupIds[host.kind],
          // Nested VMs on the computes (and the load balancer's VIPs) send from testbed addresses.
          allowedRanges: host.kind === 'ceph' ? undefined : [spec.network.cidr],
        },
      ];
      if (host.cluster_ip) {
        addresses.push({ networkId: net.clusterNetworkId, subnetId: net.clusterSubnetId, ip: host.cluster_ip, securityGroupIds: groupIds.ceph });
      }
      const node = new TestbedNode(nodes, host.name, {
        hostName: host.name,
        namePrefix: prefix,
        flavorName: flavors.nameFor(host.node_flavor),
        imageName: spec.cloud.image,
        keyPairName: keyPair.name,
        addresses,
        serverGroupId: serverGroups[host.kind],
        availabilityZone: spec.cloud.availability_zone,
        roles: host.roles,
      });
      instances.push(node);
      if (host.osds.length) {
        const volumes = new OsdVolumes(osdVolumes, host.name, {
          namePrefix: prefix,
          hostName: host.name,
          instanceId: node.instanceId,
          osds: host.osds,
          availabilityZone: spec.cloud.availability_zone,
        });
        attached.set(host.name, volumes.osds);
        attachments.push(...volumes.attachments);
      }
    }

    const floatingIp = new NetworkingFloatingipV2(this, 'BastionFloatingIp', {
      pool: spec.cloud.external_network,
      description: `${prefix}: bastion`,
    });
    // OpenStack refuses to remove a router interface while a floating IP behind it is associated:
    // the association depends on the interface, so it is destroyed first.
    const association = new NetworkingFloatingipAssociateV2(this, 'BastionFloatingIpAssociation', {
      floatingIp: floatingIp.address,
      portId: instances[0]!.portIds[0]!,
      dependsOn: [net.routerInterface],
    });

    // One local holds the inventory: the output and every phase reference it instead of repeating it.
    const inventory = new TerraformLocal(this, 'inventory', {
      bastion: { host: topology.bastion, floating_ip: floatingIp.address, ssh_user: spec.cloud.ssh_user },
      hosts: topology.hosts.map((h) => ({
        name: h.name,
        roles: h.roles,
        ip: h.ip,
        cluster_ip: h.cluster_ip ?? '',
        osds: (attached.get(h.name) ?? []).map((o) => ({
          id: o.id,
          backend: o.backend,
          volume_id: o.volumeId,
          aux_kind: o.auxKind,
          aux_volume_id: o.auxVolumeId,
        })),
      })),
    });
    new TerraformOutput(this, 'testbed_inventory', {
      value: inventory.expression,
      description: 'Hosts, roles, addresses and OSD volumes per backend, for `testbed render --tf-outputs`',
    });
    new TerraformOutput(this, 'bastion_floating_ip', { value: floatingIp.address });

    // Post-deploy phases (CLOUD_PHASES, src/targets/cloud/registry.ts): each runs `testbed phase <name>`, which renders the
    // configuration from the spec plus these outputs and runs site.yml with the phase's tags.
    // `cloud.deploy: infrastructure` stops here: nothing above depends on the phases, so the infrastructure is the same.
    if (spec.cloud.deploy === 'infrastructure') return;
    const instanceIds = new TerraformLocal(
      this,
      'instance_ids',
      Fn.join(
        ',',
        instances.map((i) => i.instanceId),
      ),
    ).asString;
    let previous: PostDeployPhase | undefined;
    for (const phase of CLOUD_PHASES) {
      previous = new PostDeployPhase(this, phase.id, {
        description: phase.description,
        create: {
          argv: ['npx', '--no-install', 'testbed', 'phase', phase.name, '--target', 'cloud', '--tf-outputs-env', 'TESTBED_TF_OUTPUTS'],
          environment: { TESTBED_TF_OUTPUTS: Fn.jsonencode(inventory.expression) },
        },
        triggers: { spec: props.specHash, config: props.configHash, instances: instanceIds },
        dependsOn: previous ? [previous.resource] : [association, ...attachments],
      });
    }
  }
}
