import { parse } from 'yaml';
import { planHosts } from '../../../src/lab/hosts/host-plan.js';
import { labHostsRender, siteInventory, SiteInventoryError, SITE_GROUP } from '../../../src/lab/hosts/site-inventory.js';
import { inventoryData } from '../../../src/render/inventory-data.js';
import { renderContext } from '../../../src/render/render-context.js';
import { fixedSecrets, specOf } from '../../render/fixtures.js';

const ssh = { privateKeyFile: '/lab/hosts/ssh/id_ed25519', knownHostsFile: '/lab/hosts/ssh/known_hosts' };

function rendered(plan: ReturnType<typeof planHosts>, input: Parameters<typeof specOf>[0] = {}) {
  return inventoryData(
    renderContext({ spec: specOf(input), target: 'lab', secrets: fixedSecrets(), outDir: '/out', hostHasKvm: false, labHosts: labHostsRender(plan) }),
  );
}

describe('the site inventory of the lab container hosts', () => {
  it('takes the render monitor, range and OpenStack hosts from the host plan', () => {
    expect(labHostsRender(planHosts({ cidr: '10.5.6.0/24' }))).toEqual({
      cidr: '10.5.6.0/24',
      mon: { name: 'controller', ip: '10.5.6.10' },
      hosts: [
        { name: 'controller', ip: '10.5.6.10', role: 'controller' },
        { name: 'compute-1', ip: '10.5.6.20', role: 'compute' },
        { name: 'compute-2', ip: '10.5.6.21', role: 'compute' },
      ],
    });
    expect(labHostsRender(planHosts({ controllers: 3 })).mon).toEqual({ name: 'controller-1', ip: '10.213.78.10' });
  });

  it('puts every host at its planned address with SSH settings, the OSDs on the controller, and all hosts in the lab group', () => {
    // GIVEN a plan whose range differs from the spec's lab.cidr (10.213.77.0/24)
    const plan = planHosts({ cidr: '10.5.6.0/24' });
    // WHEN the site inventory is built from the render
    const inv = parse(siteInventory({ plan, rendered: rendered(plan), ssh }));
    // THEN addresses come from the plan, never from the spec's namespace lab
    expect(inv.all.hosts.controller).toMatchObject({ ansible_host: '10.5.6.10', testbed_ip: '10.5.6.10', testbed_cluster_ip: '10.5.6.10' });
    expect(inv.all.hosts['compute-2']).toEqual({ ansible_host: '10.5.6.21', testbed_ip: '10.5.6.21', testbed_cluster_ip: '10.5.6.21' });
    expect(JSON.stringify(inv)).not.toMatch(/10\.213\.77\.|ansible_connection|testbed_netns/);
    expect(inv.all.vars.testbed_api_vip).toBe('10.5.6.10');
    expect(inv.all.hosts.controller.testbed_osds.map((o: { backend: string }) => o.backend)).toEqual([
      'filestore',
      'filestore',
      'bluestore',
      'bluestore',
    ]);
    expect(inv.all.vars).toMatchObject({ ansible_user: 'root', ansible_ssh_private_key_file: ssh.privateKeyFile, testbed_target: 'lab' });
    expect(Object.keys(inv.all.children.ceph_mons.hosts)).toEqual(['controller']);
    expect(Object.keys(inv.all.children.computes.hosts)).toEqual(['compute-1', 'compute-2']);
    expect(Object.keys(inv.all.children[SITE_GROUP].hosts)).toEqual(['controller', 'compute-1', 'compute-2']);
    expect(Object.keys(inv.all.children.ceph_clients.hosts)).toEqual(['compute-1', 'compute-2']);
  });

  it('maps the rendered controller to the first of three controllers, and lists all three as controllers', () => {
    const plan = planHosts({ controllers: 3 });
    const inv = parse(siteInventory({ plan, rendered: rendered(plan), ssh }));
    expect(Object.keys(inv.all.children.ceph_osds.hosts)).toEqual(['controller-1']);
    expect(Object.keys(inv.all.children.controllers.hosts)).toEqual(['controller-1', 'controller-2', 'controller-3']);
    expect(inv.all.hosts['controller-1'].testbed_osds).toHaveLength(4);
  });

  it('fails naming each host when the render and the plan disagree on the computes', () => {
    // GIVEN a plan with one compute and a render with two
    const plan = planHosts({ computes: 1 });
    expect(() => siteInventory({ plan, rendered: rendered(plan), ssh })).toThrow(SiteInventoryError);
    expect(() => siteInventory({ plan, rendered: rendered(plan), ssh })).toThrow(
      /rendered host "compute-2" has no container in the host plan; planned: controller, compute-1/,
    );
  });
});
