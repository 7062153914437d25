/**
 * examples/lab-cloud.yaml: the testbed fitted into the lab's own OpenStack (issue 14), synthesized by the
 * same TestbedStack a cloud gets, and `cloud.deploy: infrastructure`, the switch that leaves out the
 * post-deploy phases and nothing else.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { loadSpec, validateSpec } from '../../src/config/load.js';
import type { TestbedSpec, TestbedSpecInput } from '../../src/config/schema.js';
import { openstackProviderBinary, terraformBinary, terraformEnv } from '../../src/exec/terraform.js';
import { TestbedStack } from '../../stacks/testbed-stack.js';
import { checkSynthesized, PROVIDER_SCHEMA_PATH, providerSchemaAvailable } from '../support/provider-schema.js';
import { describeWhere, itWhere, missing } from '../support/requirements.js';

const LAB_CLOUD = 'examples/lab-cloud.yaml';

type Resources = Record<string, Record<string, Record<string, any>>>;
type Synth = {
  resource: Resources;
  data: Resources;
  output: Record<string, unknown>;
  locals: Record<string, unknown>;
  provider: any;
  terraform: any;
};

/** The lab-cloud spec as written, with some keys replaced (a deep merge of `patch` into the file). */
function labCloudInput(patch: { cloud?: Record<string, unknown> } = {}): TestbedSpecInput {
  const raw = parse(readFileSync(LAB_CLOUD, 'utf8')) as Record<string, any>;
  return { ...raw, cloud: { ...raw.cloud, ...patch.cloud } };
}

function synthOf(spec: TestbedSpec): Synth {
  const stack = new TestbedStack(Testing.app(), 'testbed', { spec, specHash: 'spec-hash', configHash: 'config-hash' });
  return JSON.parse(Testing.synth(stack));
}
const synth = (input: TestbedSpecInput) => synthOf(validateSpec(input).spec);
const all = (s: Synth, type: string) => Object.values(s.resource[type] ?? {});
/** Every resource as `type.name`. */
const addresses = (s: Synth) => Object.entries(s.resource).flatMap(([type, r]) => Object.keys(r).map((name) => `${type}.${name}`));

describe('the lab-cloud spec (examples/lab-cloud.yaml)', () => {
  it('loads with the project’s spec loader, with no problem and no warning', () => {
    // WHEN the loader reads the example, as `testbed validate --spec examples/lab-cloud.yaml` does
    const { spec, warnings } = loadSpec(LAB_CLOUD);
    // THEN it is the lab's cloud, infrastructure only, with soft anti-affinity and 256 MiB nodes
    expect(warnings).toEqual([]);
    expect(spec.cloud).toMatchObject({ name: 'lab', region: 'regionOne', server_group_policy: 'soft-anti-affinity', deploy: 'infrastructure' });
    expect(spec.node_flavors.controller).toEqual({ vcpus: 1, ram_mib: 256, disk_gb: 1 });
  });

  it('names a key the lab generates itself, under lab.dir', () => {
    const { spec } = loadSpec(LAB_CLOUD);
    expect(spec.cloud.key_pair.public_key_file).toBe(join(spec.lab.dir, 'hosts', 'ssh', 'id_ed25519.pub'));
  });
});

describe('the testbed stack for the lab-cloud spec', () => {
  const s = synthOf(loadSpec(LAB_CLOUD).spec);

  it('synthesizes the study’s shape: 3 controllers, 3 Ceph nodes and 2 computes, each OSD with its data and journal/DB volume', () => {
    const names = all(s, 'openstack_compute_instance_v2').map((i) => i.name);
    expect(names.sort()).toEqual(
      ['controller-1', 'controller-2', 'controller-3', 'ceph-1', 'ceph-2', 'ceph-3', 'compute-1', 'compute-2'].map((n) => `sds-testbed-${n}`).sort(),
    );
    const volumes = all(s, 'openstack_blockstorage_volume_v3');
    expect(volumes).toHaveLength(12);
    expect(volumes.every((v) => v.size === 1)).toBe(true);
    expect(all(s, 'openstack_compute_volume_attach_v2')).toHaveLength(12);
  });

  it('creates tiny flavors from the spec: 1 vCPU, 256 MiB, a 1 GB disk', () => {
    // (cdktf writes resources sorted by name)
    expect(all(s, 'openstack_compute_flavor_v2').map((f) => [f.name, f.vcpus, f.ram, f.disk])).toEqual([
      ['sds-testbed-ceph', 1, 256, 1],
      ['sds-testbed-compute', 1, 256, 1],
      ['sds-testbed-controller', 1, 256, 1],
    ]);
  });

  it('puts its server groups under the policy from the spec, and every controller and Ceph node in its group', () => {
    // GIVEN server_group_policy: soft-anti-affinity (2 computes for 3 members per group)
    const groups = s.resource.openstack_compute_servergroup_v2!;
    // THEN both groups carry that policy
    expect(Object.values(groups).map((g) => [g.name, g.policies])).toEqual([
      ['sds-testbed-ceph', ['soft-anti-affinity']],
      ['sds-testbed-controllers', ['soft-anti-affinity']],
    ]);
    // and the instances are scheduled into them
    const hint = (name: string) => all(s, 'openstack_compute_instance_v2').find((i) => i.name === `sds-testbed-${name}`)!.scheduler_hints;
    for (const c of ['controller-1', 'controller-2', 'controller-3'])
      expect(hint(c)).toEqual([{ group: '${openstack_compute_servergroup_v2.ControllerGroup.id}' }]);
    for (const c of ['ceph-1', 'ceph-2', 'ceph-3']) expect(hint(c)).toEqual([{ group: '${openstack_compute_servergroup_v2.CephGroup.id}' }]);
    expect(hint('compute-1')).toBeUndefined();
  });

  it('takes the cloud, the image, the external network, the key and the operator range from the spec', () => {
    expect(s.provider.openstack).toEqual([{ cloud: 'lab', region: 'regionOne' }]);
    expect(all(s, 'openstack_compute_instance_v2').every((i) => i.image_name === 'testbed-lab-guest')).toBe(true);
    expect(Object.values(s.data.openstack_networking_network_v2!)).toEqual([{ name: 'lab-external', external: true }]);
    expect(all(s, 'openstack_networking_floatingip_v2').map((f) => f.pool)).toEqual(['lab-external']);
    expect(all(s, 'openstack_compute_keypair_v2')).toEqual([
      { name: 'sds-testbed-lab', public_key: '${file(pathexpand("/var/lib/sds-testbed-lab/hosts/ssh/id_ed25519.pub"))}' },
    ]);
    const admin = all(s, 'openstack_networking_secgroup_rule_v2').filter((r) => r.remote_ip_prefix === '10.213.78.1/32');
    expect(admin.map((r) => r.port_range_min).sort()).toEqual([22, 80, 8404]);
  });

  it('has no post-deploy phase, yet keeps the inventory outputs that a later `testbed phase` reads', () => {
    expect(s.resource.terraform_data).toBeUndefined();
    expect(Object.keys(s.output).sort()).toEqual(['bastion_floating_ip', 'testbed_inventory']);
  });
});

describe('cloud.deploy: infrastructure', () => {
  for (const [what, input] of [
    ['the lab-cloud spec', (deploy: string) => labCloudInput({ cloud: { deploy } })],
    ['the default spec', (deploy: string) => ({ cloud: { deploy } }) as TestbedSpecInput],
  ] as const) {
    it(`removes exactly the post-deploy phases from ${what}, and every other resource is the same, argument for argument`, () => {
      // GIVEN the same spec synthesized both ways
      const full = synth(input('full'));
      const infra = synth(input('infrastructure'));
      // THEN the resources that full has and infrastructure lacks are the post-deploy phases, and nothing else
      const kept = new Set(addresses(infra));
      const removed = addresses(full).filter((a) => !kept.has(a));
      expect(removed).toEqual(Object.keys(full.resource.terraform_data!).map((name) => `terraform_data.${name}`));
      expect(Object.values(full.resource.terraform_data!).map((p) => p.input.phase)).toEqual([
        'configure Ceph (mons, mgrs, OSDs, pools, RBD images)',
        'configure OpenStack (controllers, computes, HAProxy)',
        'start the migration-policy job',
      ]);
      expect(addresses(infra).filter((a) => !addresses(full).includes(a))).toEqual([]);
      // and each kept resource is identical, one by one
      for (const [type, resources] of Object.entries(infra.resource)) {
        for (const [name, body] of Object.entries(resources)) expect(body, `${type}.${name}`).toEqual(full.resource[type]![name]);
      }
      // as are the data sources, the provider, the backend and the outputs
      expect(infra.data).toEqual(full.data);
      expect(infra.provider).toEqual(full.provider);
      expect(infra.terraform).toEqual(full.terraform);
      expect(infra.output).toEqual(full.output);
      // and of the locals only the phases' own trigger (the instance ids) is gone
      expect(Object.keys(full.locals).filter((k) => !(k in infra.locals))).toEqual(['instance_ids']);
      expect(infra.locals.inventory).toEqual(full.locals.inventory);
    });
  }

  it('is off by default: the study’s testbed runs its post-deploy phases', () => {
    expect(validateSpec({}).spec.cloud.deploy).toBe('full');
    expect(Object.keys(synth({}).resource.terraform_data!)).toHaveLength(3);
  });
});

const schemaMissing = providerSchemaAvailable
  ? undefined
  : `needs the provider schema at ${PROVIDER_SCHEMA_PATH} (../shared/provider-schemas, or OPENSTACK_PROVIDER_SCHEMA)`;

describe('the lab-cloud stack against the OpenStack provider 3.4 schema', () => {
  itWhere(schemaMissing, `uses only arguments and blocks that exist, and sets every required one (${PROVIDER_SCHEMA_PATH})`, () => {
    const { checked, problems } = checkSynthesized(synthOf(loadSpec(LAB_CLOUD).spec));
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(80);
  });
});

const PROVIDER = openstackProviderBinary();
const TERRAFORM = terraformBinary();
const realProviderMissing =
  missing({ files: { [PROVIDER]: 'the OpenStack provider in the filesystem mirror (bash scripts/install-openstack-provider.sh builds it)' } }) ??
  (TERRAFORM ? undefined : 'needs terraform or tofu (bash scripts/install-tofu.sh builds tofu)');

/** Terraform with the project's CLI config; any registry request goes to a dead proxy on loopback, so a run that needs the network fails. */
function terraform(args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(TERRAFORM!, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      ...terraformEnv(),
      CHECKPOINT_DISABLE: '1',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '',
    },
  });
}

describeWhere(realProviderMissing, 'the lab-cloud stack with the real OpenStack provider 3.4.0', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lab-cloud-validate-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('passes `terraform validate`', () => {
    // GIVEN the lab-cloud stack, its key file replaced by a temp key (Terraform reads it with file() when it validates)
    const key = join(work, 'id_ed25519.pub');
    writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForValidateOnly0000000000000000000 test\n');
    const input = labCloudInput();
    const s = synth({ ...input, cloud: { ...input.cloud, key_pair: { ...input.cloud!.key_pair, public_key_file: key } } });
    writeFileSync(join(work, 'cdk.tf.json'), JSON.stringify(s));
    // WHEN Terraform installs the provider from the mirror (no network) and validates the stack
    const init = terraform(['init', '-input=false', '-no-color', '-backend=false'], work);
    expect(init.status, `terraform init failed:\n${init.stdout}\n${init.stderr}`).toBe(0);
    const validate = terraform(['validate', '-json', '-no-color'], work);
    // THEN the provider finds no error
    const result = JSON.parse(validate.stdout) as { valid: boolean; error_count: number; diagnostics: Array<{ severity: string; summary: string }> };
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result).toMatchObject({ valid: true, error_count: 0 });
  });
});
