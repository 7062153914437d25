/**
 * Every rendered file checked by the parser that will read it in production, on both targets:
 * ceph-conf, ceph-authtool, oslo-config-validator (nova, cinder), haproxy -c, xmllint, ansible-inventory.
 * The oslo validator takes about 2 s per nova.conf and 6-10 s per cinder.conf on an idle machine (it imports the
 * services' option modules), so files are checked two at a time and cinder.conf is checked in 3 runs.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CINDER_BACKEND_PREFIX } from '../../src/render/cinder-data.js';
import { renderTestbed, type RenderResult } from '../../src/render/render.js';
import { limited, missingTools, runTool, specOf } from './fixtures.js';
import { describeWhere } from '../support/requirements.js';

/** The option namespaces of the files' sections (nova's and cinder's own config-generator lists, trimmed to what we set). */
const NOVA_NAMESPACES = ['nova.conf', 'keystonemiddleware.auth_token', 'oslo.messaging', 'oslo.concurrency'];
const CINDER_NAMESPACES = ['cinder', 'keystonemiddleware.auth_token', 'oslo.messaging', 'oslo.concurrency', 'oslo.db'];

/** The validator imports every option module of the service: seconds each, more on a busy 2-core machine. */
const OSLO_TIMEOUT_MS = 300_000;

const dirs: string[] = [];
const rendered: Record<'cloud' | 'lab', RenderResult> = {} as Record<'cloud' | 'lab', RenderResult>;

beforeAll(() => {
  const root = mkdtempSync(join(tmpdir(), 'render-validate-'));
  dirs.push(root);
  rendered.cloud = renderTestbed({ spec: specOf(), root, target: 'cloud', hostHasKvm: false });
  rendered.lab = renderTestbed({ spec: specOf(), root, target: 'lab', monHost: '127.0.0.1', hostHasKvm: false });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'render-validate-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const oslo = (namespaces: readonly string[], file: string, exclude: readonly string[] = []) =>
  runTool('oslo-config-validator', [
    ...namespaces.flatMap((n) => ['--namespace', n]),
    ...exclude.flatMap((g) => ['--exclude-group', g]),
    '--input-file',
    file,
  ]);

/** The validator's verdict: exit code plus the ERROR/WARNING lines (INFO lines are about keystone_authtoken's dynamic options). */
type Verdict = { code: number; problems: string[] };
function verdict(run: { code: number; stderr: string; stdout: string }): Verdict {
  return { code: run.code, problems: (run.stderr + run.stdout).split('\n').filter((l) => /^(ERROR|WARNING|CRITICAL)/.test(l)) };
}

describeWhere(missingTools(['ceph-conf', 'ceph-authtool']), 'ceph.conf and keyrings, read by Ceph', () => {
  const lookup = async (conf: string, key: string, name?: string) => {
    const r = await runTool('ceph-conf', ['-c', conf, ...(name ? ['-n', name] : []), '--lookup', key]);
    expect({ key, code: r.code, stderr: r.stderr }).toEqual({ key, code: 0, stderr: '' });
    return r.stdout.trim();
  };

  it('parses the cloud ceph.conf and returns the expected values', async () => {
    const conf = join(rendered.cloud.outDir, 'ceph', 'ceph.conf');
    expect(await lookup(conf, 'mon_host')).toBe(
      '[v2:10.20.0.10:3300,v1:10.20.0.10:6789],[v2:10.20.0.11:3300,v1:10.20.0.11:6789],[v2:10.20.0.12:3300,v1:10.20.0.12:6789]',
    );
    expect(await lookup(conf, 'auth_cluster_required')).toBe('cephx');
    expect(await lookup(conf, 'auth_allow_insecure_global_id_reclaim')).toBe('false');
    expect(await lookup(conf, 'mon_max_pg_per_osd')).toBe('2050');
    expect(await lookup(conf, 'osd_pool_default_pg_num')).toBe('4096');
    expect(await lookup(conf, 'cluster_network')).toBe('10.20.1.0/24');
    expect(await lookup(conf, 'osd_memory_target', 'osd.0')).toBe(String(4 * 2 ** 30));
    expect(await lookup(conf, 'bluestore_block_db_size', 'osd.2')).toBe(String(30 * 2 ** 30));
    expect(await lookup(conf, 'osd_journal_size', 'osd.0')).toBe('5120');
  });

  it('parses the lab ceph.conf: one mon on --mon-host, every path under <lab.dir>/ceph', async () => {
    const conf = join(rendered.lab.outDir, 'ceph', 'ceph.conf');
    expect(await lookup(conf, 'mon_host')).toBe('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]');
    expect(await lookup(conf, 'osd_crush_chooseleaf_type')).toBe('0');
    expect(await lookup(conf, 'mon_data', 'mon.controller')).toBe('/var/lib/sds-testbed-lab/ceph/mon/ceph-controller');
    expect(await lookup(conf, 'osd_data', 'osd.3')).toBe('/var/lib/sds-testbed-lab/ceph/osd/ceph-3');
    expect(await lookup(conf, 'osd_max_object_name_len', 'osd.0')).toBe('256');
    expect(await lookup(conf, 'osd_max_object_namespace_len', 'osd.0')).toBe('64');
    expect(Number(await lookup(conf, 'osd_memory_target', 'osd.2'))).toBeGreaterThanOrEqual(2 ** 30);
    expect(await lookup(conf, 'mgr_initial_modules')).toBe('iostat');
  });

  it('fails the lookup of a key the file does not set (the check can fail)', async () => {
    const r = await runTool('ceph-conf', ['-c', join(rendered.lab.outDir, 'ceph', 'ceph.conf'), '--lookup', 'cluster_network']);
    expect(r.code).not.toBe(0);
  });

  it('reads every keyring with ceph-authtool, each entity with its key', async () => {
    for (const target of ['cloud', 'lab'] as const) {
      const dir = join(rendered[target].outDir, 'ceph');
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.keyring'))) {
        const r = await runTool('ceph-authtool', ['-l', join(dir, f)]);
        expect({ f, code: r.code }).toEqual({ f, code: 0 });
        expect(r.stdout).toMatch(/^\[(mon\.|client\.[a-z-]+)\]\n\tkey = [A-Za-z0-9+/]{38}==$/m);
      }
    }
    const mon = await runTool('ceph-authtool', ['-l', join(rendered.cloud.outDir, 'ceph', 'ceph.mon.keyring')]);
    expect(mon.stdout).toContain('[mon.]');
    expect(mon.stdout).toContain('[client.admin]');
  });
});

describeWhere(missingTools(['ceph-mon', 'monmaptool']), 'the lab ceph.conf and mon keyring, used by ceph-mon --mkfs', () => {
  it('builds a monitor store whose monmap has mon.controller on both msgr addresses and the fsid', async () => {
    // GIVEN the lab rendered with its folder in a temporary directory
    const root = mkdtempSync(join(tmpdir(), 'render-mkfs-'));
    dirs.push(root);
    const labDir = join(root, 'lab');
    const out = renderTestbed({ spec: specOf({ lab: { dir: labDir } }), root, target: 'lab', monHost: '127.0.0.1', hostHasKvm: false }).outDir;
    const conf = join(out, 'ceph', 'ceph.conf');
    for (const d of ['mon', 'log', 'run']) mkdirSync(join(labDir, 'ceph', d), { recursive: true });
    // WHEN ceph-mon makes its store from the rendered files (it exits; no daemon is started)
    const mkfs = await runTool('ceph-mon', ['--mkfs', '-i', 'controller', '-c', conf, '--keyring', join(out, 'ceph', 'ceph.mon.keyring')]);
    expect({ code: mkfs.code, stderr: mkfs.stderr }).toEqual({ code: 0, stderr: '' });
    const monmap = join(root, 'monmap');
    expect((await runTool('ceph-mon', ['-i', 'controller', '-c', conf, '--extract-monmap', monmap])).code).toBe(0);
    // THEN the store sits under <lab.dir>/ceph/mon, and its monmap is the rendered one
    expect(existsSync(join(labDir, 'ceph', 'mon', 'ceph-controller', 'store.db'))).toBe(true);
    const printed = (await runTool('monmaptool', ['--print', monmap])).stdout;
    expect(printed).toContain('0: [v2:127.0.0.1:3300/0,v1:127.0.0.1:6789/0] mon.controller');
    expect(printed).toContain(`fsid ${readFileSync(conf, 'utf8').match(/^fsid = (.+)$/m)![1]}`);
  });
});

describeWhere(missingTools(['oslo-config-validator']), 'nova.conf and cinder.conf, read by oslo.config', () => {
  it(
    'accepts every rendered nova.conf with no unknown option',
    async () => {
      // GIVEN the 5 cloud and 3 lab nova.conf files
      const files = (['cloud', 'lab'] as const).flatMap((t) =>
        readdirSync(join(rendered[t].outDir, 'nova')).map((f) => join(rendered[t].outDir, 'nova', f)),
      );
      expect(files).toHaveLength(8);
      // WHEN the validator reads each
      const started = Date.now();
      const results = await limited(files.map((f) => async () => ({ file: f, ...verdict(await oslo(NOVA_NAMESPACES, f)) })));
      console.info(`oslo-config-validator: ${files.length} nova.conf files in ${((Date.now() - started) / 1000).toFixed(1)} s (2 at a time)`);
      // THEN each passes with no error or warning
      for (const r of results) expect(r).toEqual({ file: r.file, code: 0, problems: [] });
    },
    OSLO_TIMEOUT_MS,
  );

  it(
    'fails a nova.conf with an unknown option in [libvirt] (the check can fail)',
    async () => {
      const text = readFileSync(join(rendered.cloud.outDir, 'nova', 'compute-1.conf'), 'utf8').replace(
        '[libvirt]\n',
        '[libvirt]\nlive_migration_downtime_typo = 1\n',
      );
      const r = verdict(await oslo(NOVA_NAMESPACES, tmpFile('nova.conf', text)));
      expect(r.code).not.toBe(0);
      expect(r.problems).toEqual(['ERROR:root:libvirt/live_migration_downtime_typo is not part of the sample config']);
    },
    OSLO_TIMEOUT_MS,
  );

  it(
    'accepts cinder.conf with its backend sections excluded, and each backend key is a [backend_defaults] option',
    async () => {
      // GIVEN both targets' cinder.conf and their deployment-specific backend sections
      const file = (t: 'cloud' | 'lab') => join(rendered[t].outDir, 'cinder', 'cinder.conf');
      const backendsOf = (text: string) =>
        [...text.matchAll(/^\[([^\]]+)\]$/gm)].map((m) => m[1]!).filter((s) => s.startsWith(CINDER_BACKEND_PREFIX));
      const cloudText = readFileSync(file('cloud'), 'utf8');
      expect(backendsOf(cloudText)).toEqual(['rbd-filestore', 'rbd-bluestore']);
      // The cloud file with its backend sections renamed [backend_defaults] (oslo merges repeated
      // sections), plus one key that group does not have: the only error must be that key, which shows
      // both that every real backend key is known and that the check catches a wrong one.
      const asDefaults = tmpFile('cinder.conf', cloudText.replace(/^\[rbd-[^\]]+\]$/gm, '[backend_defaults]') + 'rbd_pool_typo = x\n');
      // WHEN validated (3 runs, 2 at a time)
      const started = Date.now();
      const [cloud, lab, keys] = (await limited([
        async () => verdict(await oslo(CINDER_NAMESPACES, file('cloud'), backendsOf(cloudText))),
        async () => verdict(await oslo(CINDER_NAMESPACES, file('lab'), backendsOf(readFileSync(file('lab'), 'utf8')))),
        async () => verdict(await oslo(CINDER_NAMESPACES, asDefaults)),
      ])) as [Verdict, Verdict, Verdict];
      console.info(`oslo-config-validator: 3 cinder.conf checks in ${((Date.now() - started) / 1000).toFixed(1)} s (2 at a time)`);
      // THEN both files pass, and the backend keys raise nothing but the planted one
      expect(cloud).toEqual({ code: 0, problems: [] });
      expect(lab).toEqual({ code: 0, problems: [] });
      expect(keys.code).not.toBe(0);
      expect(keys.problems).toEqual(['ERROR:root:backend_defaults/rbd_pool_typo is not part of the sample config']);
    },
    OSLO_TIMEOUT_MS,
  );
});

describeWhere(missingTools(['haproxy']), 'haproxy.cfg, read by HAProxy', () => {
  it('passes haproxy -c on both targets', async () => {
    for (const target of ['cloud', 'lab'] as const) {
      const r = await runTool('haproxy', ['-c', '-f', join(rendered[target].outDir, 'haproxy', 'haproxy.cfg')]);
      expect({ target, code: r.code, out: r.stdout.trim() }).toEqual({ target, code: 0, out: 'Configuration file is valid' });
      expect(r.stderr).not.toMatch(/ALERT|WARNING/);
    }
  });

  it('fails haproxy -c on a broken file (the check can fail)', async () => {
    const text = readFileSync(join(rendered.lab.outDir, 'haproxy', 'haproxy.cfg'), 'utf8').replace('balance roundrobin', 'balance nosuchalgo');
    const r = await runTool('haproxy', ['-c', '-f', tmpFile('haproxy.cfg', text)]);
    expect(r.code).not.toBe(0);
  });
});

describeWhere(missingTools(['xmllint']), 'libvirt secret, read by an XML parser', () => {
  it('is well-formed', async () => {
    for (const target of ['cloud', 'lab'] as const) {
      const r = await runTool('xmllint', ['--noout', join(rendered[target].outDir, 'libvirt', 'secret.xml')]);
      expect({ target, code: r.code, stderr: r.stderr }).toEqual({ target, code: 0, stderr: '' });
    }
  });
});

describeWhere(missingTools(['ansible-inventory']), 'inventory.yml, read by Ansible', () => {
  it('loads with ansible-inventory --list, with the contract groups and vars', async () => {
    for (const target of ['cloud', 'lab'] as const) {
      const r = await runTool('ansible-inventory', ['-i', join(rendered[target].outDir, 'inventory.yml'), '--list']);
      expect({ target, code: r.code }).toEqual({ target, code: 0 });
      expect(r.stderr).not.toMatch(/WARNING|ERROR/);
      const inv = JSON.parse(r.stdout);
      for (const g of ['controllers', 'computes', 'ceph_mons', 'ceph_mgrs', 'ceph_osds', 'haproxy', 'migration_policy'])
        expect(inv[g]?.hosts?.length ?? 0).toBeGreaterThan(0);
      const first = inv.ceph_osds.hosts[0];
      expect(inv._meta.hostvars[first]).toMatchObject({
        testbed_target: target,
        testbed_rendered_dir: rendered[target].outDir,
        ceph_fsid: expect.any(String),
      });
      expect(inv._meta.hostvars[first].testbed_osds.length).toBeGreaterThan(0);
    }
  });
});
