import { Testing } from 'cdktf';
import { validateSpec } from '../../src/config/load.js';
import type { TestbedSpecInput } from '../../src/config/schema.js';
import { TestbedStack } from '../../stacks/testbed-stack.js';
import { checkSynthesized, PROVIDER_SCHEMA_PATH, providerSchemaAvailable } from '../support/provider-schema.js';
import { itWhere } from '../support/requirements.js';

type Synth = {
  resource: Record<string, Record<string, Record<string, any>>>;
  output: Record<string, { value: any }>;
  terraform: any;
  provider: any;
  data: any;
};

function synth(input: TestbedSpecInput = {}): Synth {
  const { spec } = validateSpec(input);
  const app = Testing.app();
  const stack = new TestbedStack(app, 'testbed', { spec, specHash: 'spec-hash', configHash: 'config-hash' });
  return JSON.parse(Testing.synth(stack));
}

const all = (s: Synth, type: string) => Object.values(s.resource[type] ?? {});

describe('the testbed stack for the default spec', () => {
  const s = synth();

  it('creates exactly 3 controllers with the controller size', () => {
    const controllers = all(s, 'openstack_compute_instance_v2').filter((i) => i.metadata.roles.split(',').includes('controller'));
    expect(controllers.map((c) => c.name)).toEqual(['sds-testbed-controller-1', 'sds-testbed-controller-2', 'sds-testbed-controller-3']);
    const flavor = all(s, 'openstack_compute_flavor_v2').find((f) => f.name === 'sds-testbed-controller');
    expect(flavor).toMatchObject({ vcpus: 4, ram: 16 * 1024, disk: 200 });
    expect(controllers.every((c) => /^\$\{openstack_compute_flavor_v2\.Flavors_controller_\w+\.name\}$/.test(c.flavor_name))).toBe(true);
  });

  it('creates the compute hosts and the 3 Ceph OSD nodes', () => {
    const names = all(s, 'openstack_compute_instance_v2').map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining(['sds-testbed-compute-1', 'sds-testbed-compute-2', 'sds-testbed-ceph-1', 'sds-testbed-ceph-2', 'sds-testbed-ceph-3']),
    );
    expect(names).toHaveLength(8);
  });

  it('gives every OSD a volume plus a journal (Filestore) or DB (Bluestore) volume, all attached', () => {
    const volumes = all(s, 'openstack_blockstorage_volume_v3');
    const data = volumes.filter((v) => v.name.endsWith('-data'));
    const journals = volumes.filter((v) => v.name.endsWith('-journal'));
    const dbs = volumes.filter((v) => v.name.endsWith('-db'));
    expect(data).toHaveLength(12);
    expect(journals).toHaveLength(6);
    expect(dbs).toHaveLength(6);
    expect(journals.every((v) => v.size === 5 && v.description.includes('filestore'))).toBe(true);
    expect(dbs.every((v) => v.size === 30 && v.description.includes('bluestore'))).toBe(true);
    expect(all(s, 'openstack_compute_volume_attach_v2')).toHaveLength(24);
  });

  it('opens the real service ports to the testbed range only', () => {
    const rules = all(s, 'openstack_networking_secgroup_rule_v2');
    const open = (from: number, to = from) => rules.filter((r) => r.port_range_min === from && r.port_range_max === to);
    for (const [from, to] of [
      [22, 22],
      [3300, 3300],
      [6789, 6789],
      [6800, 7300],
      [16509, 16509],
      [49152, 49215],
      [5000, 5000],
      [8774, 8774],
      [9292, 9292],
      [8778, 8778],
      [9696, 9696],
      [8776, 8776],
      [80, 80],
    ] as const) {
      expect(open(from, to).length, `port ${from}-${to}`).toBeGreaterThan(0);
    }
    expect(new Set(rules.map((r) => r.remote_ip_prefix))).toEqual(new Set(['10.20.0.0/24', '10.20.1.0/24']));
    expect(rules.every((r) => r.direction === 'ingress' && r.protocol === 'tcp')).toBe(true);
  });

  it('pins each host to a port with its planned fixed IP', () => {
    const ports = all(s, 'openstack_networking_port_v2');
    const ips = ports.map((p) => p.fixed_ip[0].ip_address);
    expect(ips).toEqual(expect.arrayContaining(['10.20.0.10', '10.20.0.11', '10.20.0.12', '10.20.0.13', '10.20.0.16', '10.20.1.10']));
    expect(new Set(ips).size).toBe(ips.length);
  });

  it('keeps controllers and Ceph nodes apart with anti-affinity groups', () => {
    expect(all(s, 'openstack_compute_servergroup_v2').map((g) => g.policies)).toEqual([['anti-affinity'], ['anti-affinity']]);
    const ceph = all(s, 'openstack_compute_instance_v2').filter((i) => i.name.includes('ceph'));
    expect(ceph.every((i) => i.scheduler_hints[0].group === '${openstack_compute_servergroup_v2.CephGroup.id}')).toBe(true);
  });

  it('releases the floating IP before the router interface on destroy', () => {
    const [assoc] = all(s, 'openstack_networking_floatingip_associate_v2');
    expect(assoc!.depends_on).toEqual([expect.stringMatching(/^openstack_networking_router_interface_v2\.Network_RouterInterface_\w+$/)]);
  });

  it('runs the post-deploy phases in order, re-run by spec, config and instance changes', () => {
    const phases = Object.entries(s.resource.terraform_data!);
    expect(phases.map(([, p]) => p.input.phase)).toEqual([
      'configure Ceph (mons, mgrs, OSDs, pools, RBD images)',
      'configure OpenStack (controllers, computes, HAProxy)',
      'start the migration-policy job',
    ]);
    expect(phases[1]![1].depends_on).toEqual([`terraform_data.${phases[0]![0]}`]);
    for (const [, p] of phases) {
      expect(Object.keys(p.triggers_replace).sort()).toEqual(['config', 'instances', 'spec']);
      expect(p.provisioner[0]['local-exec'].command).toMatch(/^npx --no-install testbed phase (ceph|openstack|policy) --target cloud/);
    }
  });

  it('names the cloud and keeps state in a local file, with no credential anywhere', () => {
    expect(s.provider.openstack).toEqual([{ cloud: 'testbed', region: 'RegionOne' }]);
    expect(s.terraform.backend.local.path).toBe('../../../terraform.testbed.tfstate');
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/password|secret|token|application_credential|-----BEGIN/i);
  });

  it('outputs the inventory the playbooks need', () => {
    const inv = (s as any).locals.inventory;
    expect(inv.hosts).toHaveLength(8);
    const ceph1 = inv.hosts.find((h: any) => h.name === 'ceph-1');
    expect(ceph1.osds.map((o: any) => [o.id, o.backend, o.aux_kind])).toEqual([
      [0, 'filestore', 'journal'],
      [1, 'filestore', 'journal'],
      [2, 'bluestore', 'db'],
      [3, 'bluestore', 'db'],
    ]);
  });
});

const schemaMissing = providerSchemaAvailable
  ? undefined
  : `needs the provider schema at ${PROVIDER_SCHEMA_PATH} (../shared/provider-schemas, or OPENSTACK_PROVIDER_SCHEMA)`;

describe('the testbed stack against the OpenStack provider 3.4 schema', () => {
  itWhere(schemaMissing, `uses only arguments and blocks that exist, and sets every required one (${PROVIDER_SCHEMA_PATH})`, () => {
    const big = synth({
      compute_hosts: Array.from({ length: 4 }, (_, i) => ({ name: `compute-${i + 1}` })),
      cloud: { admin_cidrs: ['192.0.2.0/24'], availability_zone: 'nova' },
      network: { mtu: 1450, dns_nameservers: ['192.0.2.53'] },
    });
    const { checked, problems } = checkSynthesized(big);
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  itWhere(schemaMissing, 'catches an argument the provider does not have', () => {
    const { problems } = checkSynthesized({ resource: { openstack_compute_instance_v2: { x: { name: 'a', flavour: 'b' } } } });
    expect(problems).toEqual(['openstack_compute_instance_v2.x.flavour: not an argument or block of this resource']);
  });
});

describe('the testbed stack with other specs', () => {
  it('creates no flavors when told to use existing ones', () => {
    const s = synth({ cloud: { create_flavors: false } });
    expect(s.resource.openstack_compute_flavor_v2).toBeUndefined();
    expect(all(s, 'openstack_compute_instance_v2').find((i) => i.name === 'sds-testbed-controller-1')!.flavor_name).toBe('sds-testbed-controller');
  });

  it('scales the computes with the spec', () => {
    const s = synth({
      network: { cidr: '10.20.0.0/20', cluster_cidr: '10.21.0.0/24' },
      compute_hosts: Array.from({ length: 40 }, (_, i) => ({ name: `c${i}` })),
    });
    expect(all(s, 'openstack_compute_instance_v2')).toHaveLength(46);
  });

  it('adds the bastion group only for operator ranges', () => {
    const s = synth({ cloud: { admin_cidrs: ['198.51.100.0/24'] } });
    const admin = all(s, 'openstack_networking_secgroup_rule_v2').filter((r) => r.remote_ip_prefix === '198.51.100.0/24');
    expect(admin.map((r) => r.port_range_min).sort()).toEqual([22, 80, 8404]);
  });
});

describe('the testbed subnet', () => {
  it('keeps DHCP to .2-.8, so Neutron never takes the API VIP (.9) or a planned fixed address', () => {
    const { spec } = validateSpec({});
    const s = JSON.parse(Testing.synth(new TestbedStack(Testing.app(), 'testbed', { spec, specHash: 'a', configHash: 'b' })));
    const subnet = Object.values(s.resource.openstack_networking_subnet_v2 as Record<string, any>).find((n) => n.cidr === '10.20.0.0/24');
    expect(subnet.allocation_pool).toEqual([{ start: '10.20.0.2', end: '10.20.0.8' }]);
  });
});
