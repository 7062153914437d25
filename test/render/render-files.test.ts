import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { XMLParser } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { testbedSpecSchema } from '../../src/config/schema.js';
import { cephConfData, monMaxPgPerOsd } from '../../src/render/ceph-data.js';
import { renderContext } from '../../src/render/render-context.js';
import { parseTfOutputs } from '../../src/render/tf-outputs.js';
import { renderCephConf } from '../../src/templates/ceph-conf.js';
import { secretValues } from '../../src/secrets/secrets.js';
import { fileOf, fixedSecrets, OUT_DIR, parseConf as parseIni, redactedTree, renderWith, specOf } from './fixtures.js';

const CONTRACT_FILES = [
  'inventory.yml',
  'ceph/ceph.conf',
  'ceph/ceph.client.admin.keyring',
  'ceph/ceph.mon.keyring',
  'ceph/ceph.client.bootstrap-osd.keyring',
  'ceph/ceph.client.nova.keyring',
  'ceph/ceph.client.cinder.keyring',
  'ceph/ceph.client.glance.keyring',
  'nova/controller-1.conf',
  'nova/controller-2.conf',
  'nova/controller-3.conf',
  'nova/compute-1.conf',
  'nova/compute-2.conf',
  'cinder/cinder.conf',
  'cinder/controller-1.conf',
  'cinder/controller-2.conf',
  'cinder/controller-3.conf',
  'libvirt/secret.xml',
  'libvirt/secret.key',
  'haproxy/haproxy.cfg',
  'openstack/clouds.yaml',
  'openstack/passwords.yml',
  'policy/policy.yaml',
];

const SNAPSHOT_FILE = join(dirname(fileURLToPath(import.meta.url)), '__snapshots__', 'render-files.test.ts.snap');

describe('the rendered tree for the default spec', () => {
  it('holds every file of the render contract, secrets at mode 0600', () => {
    // GIVEN the default spec
    // WHEN rendered for the cloud
    const files = renderWith('cloud');
    // THEN every contract file is there, and every file that holds a secret is private
    expect(files.map((f) => f.path).sort()).toEqual([...CONTRACT_FILES].sort());
    const secrets = secretValues(fixedSecrets());
    for (const f of files) {
      const holdsSecret = secrets.filter((s) => s.length > 36).some((s) => f.content.includes(s));
      if (holdsSecret) expect({ path: f.path, mode: f.mode.toString(8) }).toEqual({ path: f.path, mode: '600' });
    }
  });

  it('matches the snapshot (cloud), with every secret redacted', () => {
    expect(redactedTree(renderWith('cloud'))).toMatchSnapshot();
  });

  it('matches the snapshot (lab, --mon-host 127.0.0.1), with every secret redacted', () => {
    expect(redactedTree(renderWith('lab', {}, { monHost: '127.0.0.1' }))).toMatchSnapshot();
  });

  it('leaves no secret value in any snapshot', () => {
    // GIVEN the committed snapshot file the two tests above compare against
    expect(existsSync(SNAPSHOT_FILE), `${SNAPSHOT_FILE} is missing: it is committed; restore it, or run vitest -u once and review it`).toBe(true);
    const text = readFileSync(SNAPSHOT_FILE, 'utf8');
    // THEN none of the fixture's secrets appears in it, though the rendered files hold them
    const rendered = renderWith('cloud')
      .map((f) => f.content)
      .join('\n');
    for (const key of Object.values(fixedSecrets().cephx)) expect(rendered).toContain(key);
    expect(text).toContain('<secret>');
    for (const s of secretValues(fixedSecrets())) expect(text.includes(s)).toBe(false);
  });
});

describe('ceph.conf', () => {
  it('parses back with the cloud bootstrap settings', () => {
    // GIVEN the default spec rendered for the cloud
    const conf = parseIni(fileOf(renderWith('cloud'), 'ceph/ceph.conf'));
    // THEN the values that matter are there
    expect(conf.global).toMatchObject({
      mon_initial_members: 'controller-1, controller-2, controller-3',
      mon_host: '[v2:10.20.0.10:3300,v1:10.20.0.10:6789],[v2:10.20.0.11:3300,v1:10.20.0.11:6789],[v2:10.20.0.12:3300,v1:10.20.0.12:6789]',
      public_network: '10.20.0.0/24',
      cluster_network: '10.20.1.0/24',
      auth_cluster_required: 'cephx',
      auth_service_required: 'cephx',
      auth_client_required: 'cephx',
      auth_allow_insecure_global_id_reclaim: false,
      osd_pool_default_size: '3',
      osd_pool_default_min_size: '2',
      osd_pool_default_pg_num: '4096',
      osd_crush_chooseleaf_type: '1',
    });
    expect(conf.global.fsid).toMatch(/^[0-9a-f-]{36}$/);
    expect(conf.osd).toMatchObject({
      osd_memory_target: String(4096 * 1024 * 1024),
      osd_journal_size: '5120',
      bluestore_block_db_size: String(30 * 2 ** 30),
    });
    // xfs under Filestore: no short-name limits
    expect(conf.osd.osd_max_object_name_len).toBeUndefined();
  });

  it("raises mon_max_pg_per_osd to fit the study's pg_num (4096 x 3 replicas on 6 OSDs per class)", () => {
    // GIVEN 2048 PG replicas per OSD, plus one for the .mgr pool
    // THEN the limit is raised above them, rounded up to 50
    expect(parseIni(fileOf(renderWith('cloud'), 'ceph/ceph.conf')).global.mon_max_pg_per_osd).toBe('2050');
    expect(monMaxPgPerOsd([{ backend: 'filestore', pg_num: 128, size: 3 }], () => 6)).toBeNull();
  });

  it('sets the ext4 object-name limits when Filestore sits on ext4', () => {
    const conf = parseIni(fileOf(renderWith('cloud', { ceph: { filestore: { filesystem: 'ext4' } } }), 'ceph/ceph.conf'));
    expect(conf.osd).toMatchObject({ osd_max_object_name_len: '256', osd_max_object_namespace_len: '64' });
  });

  it('carries the lab settings, every path under <lab.dir>/ceph', () => {
    // GIVEN the lab target, on the lab controller's address
    const conf = parseIni(fileOf(renderWith('lab', { lab: { dir: '/data/lab' } }), 'ceph/ceph.conf'));
    // THEN one mon on the controller, failure domain osd, the lab-ceph.md settings
    expect(conf.global).toMatchObject({
      mon_initial_members: 'controller',
      mon_host: '[v2:10.213.77.10:3300,v1:10.213.77.10:6789]',
      public_network: '10.213.77.0/24',
      osd_crush_chooseleaf_type: '0',
      osd_pool_default_size: '2',
      osd_pool_default_pg_autoscale_mode: 'off',
      mon_data_avail_warn: '2',
      mon_data_avail_crit: '1',
      mgr_initial_modules: 'iostat',
      auth_allow_insecure_global_id_reclaim: false,
      run_dir: '/data/lab/ceph/run',
      keyring: '/data/lab/ceph/$cluster.$name.keyring',
    });
    expect(conf.global.cluster_network).toBeUndefined();
    expect(conf.osd).toMatchObject({
      osd_max_object_name_len: '256',
      osd_max_object_namespace_len: '64',
      osd_data: '/data/lab/ceph/osd/$cluster-$id',
    });
    expect(Number(conf.osd.osd_memory_target)).toBeGreaterThanOrEqual(2 ** 30);
    const text = fileOf(renderWith('lab'), 'ceph/ceph.conf');
    expect(text).not.toMatch(/\/etc\/ceph|\/var\/lib\/ceph/);
  });

  it('binds the lab cluster to --mon-host when given', () => {
    const conf = parseIni(fileOf(renderWith('lab', {}, { monHost: '127.0.0.1' }), 'ceph/ceph.conf'));
    expect(conf.global).toMatchObject({ mon_host: '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]', public_network: '127.0.0.1/32' });
  });

  it('renders for the lab container hosts with the monitor on the planned host and Debian paths', () => {
    // GIVEN the lab target for container hosts whose first controller is at 10.5.6.10
    const text = fileOf(
      renderWith('lab', { lab: { dir: '/data/lab' } }, { labHosts: { cidr: '10.5.6.0/24', mon: { name: 'controller', ip: '10.5.6.10' } } }),
      'ceph/ceph.conf',
    );
    const conf = parseIni(text);
    // THEN the monitor is that host, the cluster binds the hosts' range, and no path points into lab.dir
    expect(conf.global).toMatchObject({
      mon_initial_members: 'controller',
      mon_host: '[v2:10.5.6.10:3300,v1:10.5.6.10:6789]',
      public_network: '10.5.6.0/24',
      osd_crush_chooseleaf_type: '0',
      mon_data_avail_warn: '2',
    });
    expect(text).not.toContain('/data/lab');
    expect(conf.global.run_dir).toBeUndefined();
    expect(conf.mon).toBeUndefined();
    expect(conf.osd.osd_data).toBeUndefined();
    expect(conf.osd).toMatchObject({ bluestore_block_create: true, osd_max_object_name_len: '256' });
  });

  it('renders nova.conf, cinder.conf and the inventory for the lab container hosts at their planned addresses', () => {
    // GIVEN the lab target for container hosts: a controller at .10 and two computes at .20 and .21
    const labHosts = {
      cidr: '10.5.6.0/24',
      mon: { name: 'controller', ip: '10.5.6.10' },
      hosts: [
        { name: 'controller', ip: '10.5.6.10', role: 'controller' as const },
        { name: 'compute-1', ip: '10.5.6.20', role: 'compute' as const },
        { name: 'compute-2', ip: '10.5.6.21', role: 'compute' as const },
      ],
    };
    const files = renderWith('lab', { lab: { dir: '/data/lab' } }, { labHosts });
    // THEN every OpenStack host has its nova.conf, at its own address, with the endpoints on the controller
    expect(files.filter((f) => f.path.startsWith('nova/')).map((f) => f.path)).toEqual([
      'nova/controller.conf',
      'nova/compute-1.conf',
      'nova/compute-2.conf',
    ]);
    const compute = parseIni(fileOf(files, 'nova/compute-2.conf'));
    expect(compute.DEFAULT).toMatchObject({ my_ip: '10.5.6.21' });
    expect(compute.DEFAULT.transport_url).toMatch(/@10\.5\.6\.10:5672\/$/);
    expect(compute.libvirt).toMatchObject({
      virt_type: 'qemu',
      images_rbd_ceph_conf: '/etc/ceph/ceph.conf',
      live_migration_inbound_addr: '10.5.6.21',
    });
    expect(compute.placement.auth_url).toBe('http://10.5.6.10:5000/v3');
    // AND the controller runs one conductor and one scheduler process (two cores for everything)
    const controller = parseIni(fileOf(files, 'nova/controller.conf'));
    expect({ conductor: controller.conductor?.workers, scheduler: controller.scheduler?.workers }).toEqual({ conductor: '1', scheduler: '1' });
    // AND Cinder's backends read /etc/ceph, with one volume type per pool
    const cinder = parseIni(fileOf(files, 'cinder/cinder.conf'));
    expect(cinder['rbd-filestore']?.rbd_ceph_conf).toBe('/etc/ceph/ceph.conf');
    expect(
      Object.values(files)
        .map((f) => f.content)
        .join('\n'),
    ).not.toContain('/data/lab/ceph');
    // AND the inventory's flavors are the lab's scaled ones
    const inventory = parseYaml(fileOf(files, 'inventory.yml')) as { all: { vars: { testbed_flavors: unknown[]; testbed_api_vip: string } } };
    expect(inventory.all.vars.testbed_api_vip).toBe('10.5.6.10');
    expect(inventory.all.vars.testbed_flavors).toContainEqual({ name: 'small', vcpus: 1, ram_mb: 256, disk_gb: 1 });
  });

  it("keeps the cloud controllers to Nova's default worker count", () => {
    const controller = parseIni(fileOf(renderWith('cloud'), 'nova/controller-1.conf'));
    expect(controller.conductor).toBeUndefined();
    expect(controller.scheduler?.workers).toBeUndefined();
  });

  it('puts ceph.overrides last, in their own sections', () => {
    // GIVEN overrides of a key the template sets and of one it does not
    const files = renderWith('cloud', {
      ceph: {
        overrides: { osd: { 'osd memory target': 2147483648 }, global: { mon_osd_down_out_interval: 60 }, 'client.nova': { rbd_cache: 'false' } },
      },
    });
    const text = fileOf(files, 'ceph/ceph.conf');
    const conf = parseIni(text);
    // THEN each lands in its section, replacing the template's value
    expect(conf.osd['osd memory target']).toBe('2147483648');
    expect(conf.osd.osd_memory_target).toBeUndefined();
    expect(conf.global.mon_osd_down_out_interval).toBe('60');
    expect(conf['client.nova']).toEqual({ rbd_cache: false });
  });

  it('fails naming the template and the field when the data lacks one', () => {
    // GIVEN ceph.conf data without its fsid (a builder bug)
    const data = cephConfData(renderContext({ spec: specOf(), target: 'cloud', secrets: fixedSecrets(), outDir: OUT_DIR }));
    const { fsid: _, ...withoutFsid } = data;
    // THEN rendering names both
    expect(() => renderCephConf(withoutFsid as typeof data)).toThrow(/templates\/ceph\.conf\.hbs:\d+:\d+: missing field "fsid"/);
  });
});

describe('keyrings', () => {
  it('hold the cephx keys of the secrets file with their caps; the mon keyring adds client.admin', () => {
    const files = renderWith('cloud');
    const secrets = fixedSecrets();
    const mon = parseIni(fileOf(files, 'ceph/ceph.mon.keyring'));
    expect(mon['mon.'].key).toBe(secrets.cephx['mon.']);
    expect(mon['client.admin']).toMatchObject({ key: secrets.cephx['client.admin'], 'caps mon': 'allow *', 'caps osd': 'allow *' });
    const cinder = parseIni(fileOf(files, 'ceph/ceph.client.cinder.keyring'))['client.cinder'];
    expect(cinder).toMatchObject({
      key: secrets.cephx['client.cinder'],
      'caps mon': 'profile rbd',
      'caps osd': 'profile rbd pool=filestore, profile rbd pool=bluestore',
    });
    expect(parseIni(fileOf(files, 'ceph/ceph.client.bootstrap-osd.keyring'))['client.bootstrap-osd']['caps mon']).toBe('profile bootstrap-osd');
  });
});

describe('nova.conf', () => {
  it('gives computes the RBD and live-migration settings from the spec, with one rbd_secret_uuid', () => {
    // GIVEN live-migration settings that differ from the defaults
    const files = renderWith('cloud', {
      live_migration: {
        downtime_ms: 300,
        downtime_steps: 5,
        downtime_delay_s: 10,
        completion_timeout_s: 0,
        timeout_action: 'force_complete',
        permit_post_copy: true,
        permit_auto_converge: true,
        bandwidth_mib: 100,
        max_concurrent: 2,
      },
    });
    const c1 = parseIni(fileOf(files, 'nova/compute-1.conf'));
    const c2 = parseIni(fileOf(files, 'nova/compute-2.conf'));
    // THEN [libvirt] and [DEFAULT] carry them
    expect(c1.DEFAULT).toMatchObject({ my_ip: '10.20.0.16', max_concurrent_live_migrations: '2' });
    expect(c1.libvirt).toMatchObject({
      virt_type: 'kvm',
      images_type: 'rbd',
      images_rbd_pool: 'filestore',
      images_rbd_ceph_conf: '/etc/ceph/ceph.conf',
      rbd_user: 'cinder',
      rbd_secret_uuid: fixedSecrets().rbd_secret_uuid,
      live_migration_inbound_addr: '10.20.0.16',
      live_migration_downtime: '300',
      live_migration_downtime_steps: '5',
      live_migration_downtime_delay: '10',
      live_migration_completion_timeout: '0',
      live_migration_timeout_action: 'force_complete',
      live_migration_permit_post_copy: true,
      live_migration_permit_auto_converge: true,
      live_migration_bandwidth: '100',
    });
    expect(c2.libvirt.rbd_secret_uuid).toBe(c1.libvirt.rbd_secret_uuid);
    expect(c2.libvirt.live_migration_inbound_addr).toBe('10.20.0.17');
    // computes have no database access
    expect(c1.database).toBeUndefined();
  });

  it('gives controllers the databases, keystone_authtoken and the APIs on their own address', () => {
    const ctl = parseIni(fileOf(renderWith('cloud'), 'nova/controller-2.conf'));
    expect(ctl.DEFAULT).toMatchObject({ my_ip: '10.20.0.11', osapi_compute_listen: '10.20.0.11', enabled_apis: 'osapi_compute,metadata' });
    expect(ctl.database.connection).toMatch(/^mysql\+pymysql:\/\/nova:[A-Za-z0-9]+@10\.20\.0\.9\/nova$/);
    expect(ctl.api_database.connection).toMatch(/@10\.20\.0\.9\/nova_api$/);
    expect(ctl.keystone_authtoken).toMatchObject({
      auth_url: 'http://10.20.0.9:5000/v3',
      username: 'nova',
      memcached_servers: '10.20.0.10:11211,10.20.0.11:11211,10.20.0.12:11211',
    });
    expect(ctl.DEFAULT.transport_url.split(',')).toHaveLength(3);
    expect(ctl.libvirt).toBeUndefined();
  });

  it('uses qemu for lab computes without /dev/kvm, and kvm when lab.accel is kvm', () => {
    expect(parseIni(fileOf(renderWith('lab', {}, { hostHasKvm: false }), 'nova/compute-1.conf')).libvirt.virt_type).toBe('qemu');
    expect(parseIni(fileOf(renderWith('lab', {}, { hostHasKvm: true }), 'nova/compute-1.conf')).libvirt.virt_type).toBe('kvm');
    expect(parseIni(fileOf(renderWith('lab', { lab: { accel: 'tcg' } }, { hostHasKvm: true }), 'nova/compute-1.conf')).libvirt.virt_type).toBe(
      'qemu',
    );
  });

  it('puts overrides.nova last, in the right section', () => {
    const files = renderWith('cloud', {
      overrides: { nova: { libvirt: { live_migration_downtime: 1000, cpu_mode: 'host-passthrough' }, DEFAULT: { debug: true } } },
    });
    const c1 = parseIni(fileOf(files, 'nova/compute-1.conf'));
    expect(c1.libvirt).toMatchObject({ live_migration_downtime: '1000', cpu_mode: 'host-passthrough' });
    expect(c1.DEFAULT.debug).toBe(true);
    expect(fileOf(files, 'nova/compute-1.conf').match(/^live_migration_downtime =/gm)).toHaveLength(1);
  });
});

describe('cinder.conf', () => {
  it('has one RBD backend per pool, each named after its volume type', () => {
    const conf = parseIni(fileOf(renderWith('cloud'), 'cinder/cinder.conf'));
    expect(conf.DEFAULT).toMatchObject({ enabled_backends: 'rbd-filestore,rbd-bluestore', default_volume_type: 'filestore' });
    for (const pool of ['filestore', 'bluestore']) {
      expect(conf[`rbd-${pool}`]).toMatchObject({
        volume_driver: 'cinder.volume.drivers.rbd.RBDDriver',
        volume_backend_name: pool,
        rbd_pool: pool,
        rbd_user: 'cinder',
        rbd_secret_uuid: fixedSecrets().rbd_secret_uuid,
      });
    }
  });

  it('has one file per controller, each listening on its own address, the rest as cinder/cinder.conf', () => {
    const files = renderWith('cloud');
    const shared = fileOf(files, 'cinder/cinder.conf');
    expect(fileOf(files, 'cinder/controller-1.conf')).toBe(shared);
    const c3 = fileOf(files, 'cinder/controller-3.conf');
    expect(parseIni(c3).DEFAULT).toMatchObject({ my_ip: '10.20.0.12', osapi_volume_listen: '10.20.0.12' });
    expect(c3.replace(/10\.20\.0\.12$/gm, '10.20.0.10')).toBe(shared);
  });

  it('puts overrides.cinder in the backend section they name', () => {
    const conf = parseIni(
      fileOf(renderWith('cloud', { overrides: { cinder: { 'rbd-bluestore': { rbd_store_chunk_size: 8 } } } }), 'cinder/cinder.conf'),
    );
    expect(conf['rbd-bluestore'].rbd_store_chunk_size).toBe('8');
    expect(conf['rbd-filestore'].rbd_store_chunk_size).toBe('4');
  });
});

describe('libvirt secret, haproxy.cfg, clouds.yaml and policy.yaml', () => {
  it('defines the libvirt secret for the RBD client, its key in a separate file', () => {
    const files = renderWith('cloud');
    const xml = new XMLParser({ ignoreAttributes: false }).parse(fileOf(files, 'libvirt/secret.xml'));
    expect(xml.secret).toMatchObject({ uuid: fixedSecrets().rbd_secret_uuid, usage: { '@_type': 'ceph', name: 'client.cinder secret' } });
    expect(fileOf(files, 'libvirt/secret.key')).toBe(fixedSecrets().cephx['client.cinder']);
  });

  it('gives HAProxy the API frontends, the app backend and the admin-level runtime socket', () => {
    const cfg = fileOf(renderWith('cloud'), 'haproxy/haproxy.cfg');
    expect(cfg).toContain('stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners');
    for (const port of [5000, 9292, 8774, 8778, 9696, 8776, 6080]) expect(cfg).toContain(`bind 10.20.0.9:${port}`);
    expect(cfg).toMatch(/^backend app$/m);
    expect(cfg).toContain('bind 10.20.0.10:80');
    // the lab runs no OpenStack: no API frontends there
    const lab = fileOf(renderWith('lab', { lab: { dir: '/data/lab' } }), 'haproxy/haproxy.cfg');
    expect(lab).not.toMatch(/^listen keystone/m);
    expect(lab).toContain('stats socket /data/lab/haproxy/admin.sock mode 600 level admin');
  });

  it('gives the policy job a spec it loads (its settings), and the inventory the socket and the cloud name of clouds.yaml', () => {
    const files = renderWith('cloud', { policy: { thresholds: { low: 10, high: 90 } } });
    const policy = parseYaml(fileOf(files, 'policy/policy.yaml'));
    const clouds = parseYaml(fileOf(files, 'openstack/clouds.yaml'));
    const inventory = parseYaml(fileOf(files, 'inventory.yml'));
    // THEN policy.yaml is a testbed.yaml excerpt that `testbed policy run --spec` accepts, with the settings given
    expect(Object.keys(policy).sort()).toEqual(['live_migration', 'name', 'network', 'policy']);
    expect(testbedSpecSchema.parse(policy).policy.thresholds).toEqual({ low: 10, high: 90 });
    expect(inventory.all.vars).toMatchObject({ testbed_name: 'sds-testbed', testbed_haproxy_socket: '/run/haproxy/admin.sock' });
    expect(clouds.clouds[inventory.all.vars.testbed_name].auth).toMatchObject({
      auth_url: 'http://10.20.0.9:5000/v3',
      username: 'admin',
      password: fixedSecrets().passwords.keystone_admin,
    });
  });
});

describe('openstack/passwords.yml', () => {
  it('holds every password of the secrets file for the roles that create the users, at mode 0600', () => {
    const files = renderWith('cloud');
    const vars = parseYaml(fileOf(files, 'openstack/passwords.yml'));
    expect(vars).toEqual({ testbed_rabbitmq_user: 'openstack', testbed_passwords: fixedSecrets().passwords });
    expect(files.find((f) => f.path === 'openstack/passwords.yml')!.mode).toBe(0o600);
  });
});

describe('inventory.yml', () => {
  it('lists the planned hosts in the contract groups, with the contract vars', () => {
    const inv = parseYaml(fileOf(renderWith('cloud'), 'inventory.yml'));
    expect(Object.keys(inv.all.children).sort()).toEqual([
      'ceph_mgrs',
      'ceph_mons',
      'ceph_osds',
      'computes',
      'controllers',
      'haproxy',
      'migration_policy',
    ]);
    expect(Object.keys(inv.all.children.ceph_mons.hosts)).toEqual(['controller-1', 'controller-2', 'controller-3']);
    expect(Object.keys(inv.all.children.computes.hosts)).toEqual(['compute-1', 'compute-2']);
    expect(inv.all.vars).toMatchObject({
      testbed_target: 'cloud',
      testbed_rendered_dir: OUT_DIR,
      ceph_fsid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(inv.all.hosts['ceph-2']).toMatchObject({ ansible_host: '10.20.0.14', testbed_ip: '10.20.0.14', testbed_cluster_ip: '10.20.1.11' });
    expect(inv.all.hosts['ceph-2'].testbed_osds[0]).toEqual({ id: 4, backend: 'filestore', size_gb: 500, aux_kind: 'journal', aux_size_gb: 5 });
  });

  it('adds device paths and the bastion jump from the Terraform outputs', () => {
    // GIVEN `terraform output -json` with volume ids for ceph-1's OSDs
    const outputs = parseTfOutputs(
      JSON.stringify({
        testbed_inventory: {
          value: {
            bastion: { host: 'controller-1', floating_ip: '203.0.113.7', ssh_user: 'debian' },
            hosts: [
              { name: 'controller-1', roles: ['controller'], ip: '10.20.0.10', cluster_ip: '', osds: [] },
              {
                name: 'ceph-1',
                roles: ['ceph_osd'],
                ip: '10.20.0.13',
                cluster_ip: '10.20.1.10',
                osds: [
                  {
                    id: 0,
                    backend: 'filestore',
                    volume_id: '0123456789abcdef0123456789abcdef',
                    aux_kind: 'journal',
                    aux_volume_id: 'fedcba9876543210fedcba9876543210',
                  },
                ],
              },
            ],
          },
        },
      }),
      'outputs.json',
    );
    // WHEN rendered with them
    const inv = parseYaml(fileOf(renderWith('cloud', {}, { tfOutputs: outputs }), 'inventory.yml'));
    // THEN the OSD gets its virtio device paths, the bastion its floating IP, the rest a ProxyJump
    expect(inv.all.hosts['ceph-1'].testbed_osds[0]).toMatchObject({
      device: '/dev/disk/by-id/virtio-0123456789abcdef0123',
      aux_device: '/dev/disk/by-id/virtio-fedcba9876543210fedc',
    });
    expect(inv.all.hosts['controller-1']).toMatchObject({ ansible_host: '203.0.113.7', testbed_ip: '10.20.0.10' });
    expect(inv.all.vars.ansible_ssh_common_args).toBe('-o ProxyJump=debian@203.0.113.7');
  });

  it('fails on Terraform outputs of the wrong shape, naming the key path and the value', () => {
    expect(() =>
      parseTfOutputs(
        JSON.stringify({ testbed_inventory: { value: { bastion: { host: 'c', floating_ip: 'nope', ssh_user: 'd' }, hosts: [] } } }),
        'out.json',
      ),
    ).toThrowErrorMatchingInlineSnapshot(`
      [TfOutputsError: out.json: 1 problem in the Terraform outputs
        - testbed_inventory.value.bastion.floating_ip: Invalid ip; got "nope"]
    `);
  });

  it('lists the lab hosts with a local connection', () => {
    const inv = parseYaml(fileOf(renderWith('lab'), 'inventory.yml'));
    expect(inv.all.vars).toMatchObject({ testbed_target: 'lab', testbed_lab_dir: '/var/lib/sds-testbed-lab' });
    expect(inv.all.hosts.controller).toMatchObject({ ansible_connection: 'local', testbed_ip: '10.213.77.10', testbed_netns: 'tb-controller' });
    expect(inv.all.hosts.controller.testbed_osds).toHaveLength(4);
    expect(Object.keys(inv.all.children.computes.hosts)).toEqual(['compute-1', 'compute-2']);
    expect(Object.keys(inv.all.children.ceph_osds.hosts)).toEqual(['controller']);
  });
});
