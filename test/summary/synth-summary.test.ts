import { Testing } from 'cdktf';
import { validateSpec } from '../../src/config/load.js';
import { summarizeSynth } from '../../src/summary/synth-summary.js';
import { TestbedStack } from '../../stacks/testbed-stack.js';

describe('the synth summary', () => {
  it('counts resources and lists hosts with roles, addresses and OSDs per backend, then the phases', () => {
    const { spec } = validateSpec({});
    const stack = new TestbedStack(Testing.app(), 'testbed', { spec, specHash: 'a', configHash: 'b' });
    const lines = summarizeSynth('testbed', JSON.parse(Testing.synth(stack)));
    expect(lines[0]).toMatch(/^stack testbed: \d+ resources$/);
    expect(lines).toContain('     8  openstack_compute_instance_v2 (instances)');
    expect(lines).toContain('    24  openstack_blockstorage_volume_v3 (volumes)');
    expect(lines).toContain('  controller-1   10.20.0.10      controller, ceph_mon, ceph_mgr, haproxy, migration_policy');
    expect(lines).toContain('  ceph-2         10.20.0.14      ceph_osd  OSDs: 2 filestore, 2 bluestore');
    expect(lines.slice(-3)).toEqual([
      '  1. configure Ceph (mons, mgrs, OSDs, pools, RBD images)',
      '  2. configure OpenStack (controllers, computes, HAProxy)',
      '  3. start the migration-policy job',
    ]);
  });
});

describe('the synth summary of an infrastructure-only stack', () => {
  it('says that no post-deploy phase runs, and why', () => {
    const { spec } = validateSpec({ cloud: { deploy: 'infrastructure' } });
    const stack = new TestbedStack(Testing.app(), 'testbed', { spec, specHash: 'a', configHash: 'b' });
    const lines = summarizeSynth('testbed', JSON.parse(Testing.synth(stack)));
    expect(lines).toContain('     2  openstack_compute_servergroup_v2 (server groups)');
    expect(lines.at(-1)).toBe('no post-deploy phases (cloud.deploy: infrastructure): configure the nodes later with `testbed phase`');
  });
});
