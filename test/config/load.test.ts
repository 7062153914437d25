import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { nodeRamMib } from '../../src/config/derived.js';
import { didYouMean, loadSpec, parseSpecText, SpecError, validateSpec } from '../../src/config/load.js';

function problemsOf(text: string): string {
  try {
    parseSpecText(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof SpecError) return err.message;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

describe('the testbed spec', () => {
  it('has the study testbed as its defaults', () => {
    // GIVEN an empty spec
    const { spec } = validateSpec({});
    // THEN every default is the study's value
    expect(spec.controllers.count).toBe(3);
    expect(spec.node_flavors.controller).toEqual({ vcpus: 4, ram_gb: 16, disk_gb: 200 });
    expect(spec.compute_hosts).toHaveLength(2);
    expect(spec.ceph.mons).toBe(3);
    expect(spec.ceph.mgrs).toBe(3);
    expect(spec.ceph.osd_nodes.every((n) => n.osds.length === 4)).toBe(true);
    expect(spec.ceph.filestore.journal_size_gb).toBe(5);
    expect(spec.ceph.pools.map((p) => [p.backend, p.pg_num, p.size, p.min_size])).toEqual([
      ['filestore', 4096, 3, 2],
      ['bluestore', 4096, 3, 2],
    ]);
    const images = spec.ceph.rbd_images_per_pool;
    expect((images.small + images.medium + images.large + images.xlarge) * spec.ceph.pools.length).toBe(70);
    expect(spec.flavors).toEqual({
      small: { vcpus: 2, ram_gb: 4, disk_gb: 40, lab_ram_mib: 256 },
      medium: { vcpus: 4, ram_gb: 8, disk_gb: 80, lab_ram_mib: 512 },
      large: { vcpus: 8, ram_gb: 16, disk_gb: 160, lab_ram_mib: 1024 },
      xlarge: { vcpus: 8, ram_gb: 16, disk_gb: 250, lab_ram_mib: 2048 },
    });
    expect(spec.network.migration_bandwidth_mbit).toBe(1000);
    expect(spec.policy.interval_s).toBe(600);
    expect(spec.policy.thresholds).toEqual({ low: 25, high: 70 });
    expect(spec.experiments.repetitions).toBe(20);
    expect(spec.experiments.loads).toEqual(['none', 'memory']);
  });

  it('documents every default in the commented testbed.yaml', () => {
    // GIVEN the repository's testbed.yaml, which is the reference of every key
    const documented = parse(readFileSync('testbed.yaml', 'utf8'));
    // THEN it says exactly what the schema's defaults say
    expect(validateSpec(documented).spec).toEqual(validateSpec({}).spec);
  });

  it('warns that the study pg_num is far above the per-OSD guideline', () => {
    const { warnings } = loadSpec('testbed.yaml');
    expect(warnings.map((w) => w.path)).toEqual(['ceph.pools[0].pg_num', 'ceph.pools[1].pg_num']);
  });

  it('fails with every problem at once, each naming file, key path, value and what is allowed', () => {
    const text = [
      'ceph:',
      '  pools:',
      '    - { name: fs, backend: filestore, pg_nun: 12, size: 5 }',
      '    - { name: bs, backend: bluestore, pg_num: 100 }',
      'policy:',
      '  thresholds: { low: 80, high: 70 }',
      '  mode: fast',
      'compute_hosts: []',
      'network: { cidr: 10.0.0.1/24, migration_bandwidth_mbit: -1 }',
      'flavours: {}',
    ].join('\n');
    expect(problemsOf(text)).toMatchInlineSnapshot(`
      "bad.yaml: 9 problems in the testbed spec
        - bad.yaml: ceph.pools[0].pg_nun: unknown key; did you mean "pg_num"?; got 12; allowed: one of the keys name, backend, pg_num, size, min_size
        - bad.yaml: network.migration_bandwidth_mbit: out of range; got -1; allowed: a number > 0
        - bad.yaml: policy.mode: not an allowed value; got "fast"; allowed: one of "consolidate", "safe", "paper"
        - bad.yaml: flavours: unknown key; did you mean "flavors"?; got {}; allowed: one of the keys name, cloud, node_flavors, controllers, compute_hosts, ceph, flavors, network, live_migration, policy, experiments, lab, overrides
        - bad.yaml: network.cidr: host bits are set in the network address; got "10.0.0.1/24"; allowed: the network address of the range
        - bad.yaml: compute_hosts: live migration needs a source and a target; got 0; allowed: at least 2 compute hosts
        - bad.yaml: ceph.pools[0].size: 5 replicas need 5 hosts with filestore OSDs, and there are 3; got 5; allowed: at most 3, or more filestore OSD hosts
        - bad.yaml: ceph.pools[1].pg_num: not a power of two, so PGs would hold unequal shares of the data; got 100; allowed: a power of two (32, 64, ... 4096)
        - bad.yaml: policy.thresholds.low: the low threshold is above the high one (70); got 80; allowed: 0 ≤ low ≤ high ≤ 100, so at most 70"
    `);
  });

  it("fails on a load, a disk-load mode or queue depth it does not know, and on a disk-load region that does not fit the lab's VM images", () => {
    const text = ['experiments:', '  loads: [disk, memory+disk, cpu]', '  disk_load: { mode: async, queue_depth: 0 }'].join('\n');
    expect(problemsOf(text)).toMatchInlineSnapshot(`
      "bad.yaml: 3 problems in the testbed spec
        - bad.yaml: experiments.loads[2]: not an allowed value; got "cpu"; allowed: one of "none", "memory", "disk", "memory+disk"
        - bad.yaml: experiments.disk_load.queue_depth: out of range; got 0; allowed: a number ≥ 1
        - bad.yaml: experiments.disk_load.mode: not an allowed value; got "async"; allowed: one of "direct", "fsync""
    `);
    // AND a region that does not fit beside the verify ring on the lab's 256 MiB images (the cross-field rules run on a spec the schema accepts)
    expect(problemsOf('experiments:\n  disk_load: { region_mib: 300 }\n')).toMatchInlineSnapshot(`
      "bad.yaml: 1 problem in the testbed spec
        - bad.yaml: experiments.disk_load.region_mib: the region and the 1 MiB verify ring (experiments.verify.disk_blocks) do not fit the lab's 256 MiB VM images (lab.image_disk_mib); got 300; allowed: at most 255"
    `);
  });

  it('fails on YAML syntax errors with their line', () => {
    expect(problemsOf('ceph:\n  mons: [3\n')).toMatch(/^bad\.yaml: 1 problem.*\n {2}- bad\.yaml: line \d+, column \d+: YAML syntax error/);
  });

  it('fails when the file cannot be read', () => {
    expect(() => loadSpec('no-such-file.yaml')).toThrow(/no-such-file\.yaml: .*cannot read the file \(ENOENT\)/);
  });

  it('fails when more hosts are planned than the network range holds', () => {
    const hosts = Array.from({ length: 250 }, (_, i) => ({ name: `c-${i}` }));
    expect(() => validateSpec({ compute_hosts: hosts })).toThrow(/network\.cidr: 256 hosts need 256 fixed addresses, and the range holds 245/);
  });

  it('takes a node size in MiB as well as in GiB, and reads either as MiB', () => {
    const { spec } = validateSpec({ node_flavors: { ceph: { vcpus: 1, ram_mib: 256, disk_gb: 1 } } });
    expect(nodeRamMib(spec.node_flavors.ceph)).toBe(256);
    expect(nodeRamMib(spec.node_flavors.controller)).toBe(16 * 1024);
  });

  it('fails when a node size gives its RAM twice, or not at all', () => {
    const text = [
      'node_flavors:',
      '  controller: { vcpus: 1, ram_gb: 1, ram_mib: 256, disk_gb: 1 }',
      '  ceph: { vcpus: 1, disk_gb: 1 }',
      'cloud: { server_group_policy: affinity, deploy: infra }',
    ].join('\n');
    expect(problemsOf(text)).toMatchInlineSnapshot(`
      "bad.yaml: 4 problems in the testbed spec
        - bad.yaml: cloud.server_group_policy: not an allowed value; got "affinity"; allowed: one of "anti-affinity", "soft-anti-affinity"
        - bad.yaml: cloud.deploy: not an allowed value; got "infra"; allowed: one of "full", "infrastructure"
        - bad.yaml: node_flavors.controller.ram_mib: RAM is given twice (ram_gb: 1); got 256; allowed: ram_gb (whole GiB) or ram_mib (MiB), not both
        - bad.yaml: node_flavors.ceph.ram_gb: missing; got nothing; allowed: ram_gb (whole GiB) or ram_mib (MiB)"
    `);
  });

  it('has hard anti-affinity and the post-deploy phases by default', () => {
    expect(validateSpec({}).spec.cloud).toMatchObject({ server_group_policy: 'anti-affinity', deploy: 'full' });
  });

  it('suggests the nearest key only when it is close', () => {
    expect(didYouMean('pg_nun', ['pg_num', 'size'])).toBe('pg_num');
    expect(didYouMean('colour', ['pg_num', 'size'])).toBeUndefined();
  });
});
