/**
 * Ceph on the lab's container hosts, for real: the host layer boots controller, compute-1 and
 * compute-2 (systemd-nspawn, Debian 12), `testbed render --target lab` renders for them, and the
 * Ceph phases of playbooks/site.yml (`--tags ceph`, the same roles a cloud runs) reach the
 * controller over SSH. They install Debian's Ceph packages through the lab's package cache and run
 * 1 mon, 1 mgr, 2 Filestore and 2 Bluestore OSDs on files under Debian's systemd units (user ceph);
 * playbooks/group_vars/lab.yml holds what the lab does differently. Then: health, device classes,
 * pools on rules by class, RBD I/O in each pool from outside the controller and back inside it,
 * a second run with changed=0, and a teardown that leaves nothing.
 *
 * Root only. Its own bridge, link prefix and range (tbhcbr0, tbhc-*, 10.213.80.0/24). The base
 * rootfs and the package cache are shared with test/lab/hosts.test.ts in TESTBED_HOSTS_TEST_CACHE
 * (default /var/tmp/testbed-hosts-test-cache). Run it under the lab lock:
 *   flock /tmp/testbed-lab.lock nice -n 15 npx vitest run test/lab/ceph-hosts.test.ts
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadSpec } from '../../src/config/load.js';
import { ipJson } from '../../src/exec/iproute2.js';
import { nsenter } from '../../src/exec/nspawn.js';
import { execaRunner } from '../../src/exec/runner.js';
import { containerPssKib, leadersOf, nspawnMarker, pidsInside } from '../../src/lab/hosts/container.js';
import { HostLab, type HostLabUp } from '../../src/lab/hosts/host-lab.js';
import { pidsWithArgument, waitUntilGone } from '../../src/lab/hosts/processes.js';
import { labHostsRender, writeSiteInventory } from '../../src/lab/hosts/site-inventory.js';
import { renderTestbed } from '../../src/render/render.js';
import { describeWhere, missingFor } from '../support/requirements.js';
import { failuresOf, recapOf, runSite } from './support/site-run.js';

const skip = missingFor([
  'systemd-nspawn',
  'debootstrap',
  'apt-cacher-ng',
  'nsenter',
  'ssh-keygen',
  'ssh',
  'ansible-playbook',
  'ip',
  'losetup',
  'qemu-io',
  'rbd',
]);

const CACHE = process.env.TESTBED_HOSTS_TEST_CACHE ?? '/var/tmp/testbed-hosts-test-cache';
const PLAN = { bridge: 'tbhcbr0', prefix: 'tbhc', cidr: '10.213.80.0/24' } as const;
const PG_NUM = 16;
const HEALTH_TIMEOUT_MS = 300_000;
/** A first run installs Debian's Ceph packages (about 2 min through a warm cache) before anything starts. */
const FIRST_RUN_TIMEOUT_MS = 900_000;

interface OsdTreeNode {
  readonly id: number;
  readonly type: string;
  readonly device_class?: string;
  readonly status?: string;
  readonly reweight?: number;
}

const loopDevices = async () =>
  (await execaRunner('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE,BACK-INO'])).stdout.split('\n').filter(Boolean);
const netnsList = async () => (await execaRunner('ip', ['netns', 'list'])).stdout.split('\n').filter(Boolean);
const startTime = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  } catch {
    return undefined;
  }
};

describeWhere(skip, 'Ceph on the lab container hosts, by the ceph_* roles over SSH', () => {
  const dir = mkdtempSync('/var/tmp/testbed-ceph-hosts-');
  const labDir = join(dir, 'lab');
  const renderedDir = join(dir, 'rendered');
  const lab = new HostLab({ dir: labDir, cacheDir: CACHE, plan: PLAN, log: (l) => console.log(l) });
  const siteFile = join(lab.hostsDir, 'site-inventory.yml');
  const before = { loops: [] as string[], netns: [] as string[] };
  let up: HostLabUp;
  let controllerPid = 0;
  let pools: { name: string; backend: string }[] = [];
  let osdsByBackend: Record<string, number[]> = {};
  const extraVars: Record<string, unknown> = { ceph_pools_rbd_images: [{ prefix: 'small', count: 1, size_mib: 64 }] };
  const timings: Record<string, number> = {};

  const site = (label: string, timeoutMs: number, check = false) =>
    runSite({ inventory: siteFile, tags: ['ceph'], label, timeoutMs, check, extraVars, timings });
  const hostRecap = (stdout: string) =>
    recapOf(
      stdout,
      lab.plan.hosts.map((h) => h.name),
    );
  /** `ceph` inside the controller, as root with the admin keyring in /etc/ceph. */
  const ceph = async (...args: string[]) =>
    (await nsenter(controllerPid, 'ceph', ['--connect-timeout', '10', ...args], { timeoutMs: 60_000 })).stdout;
  let firstRun: { exitCode: number; stdout: string } | undefined;
  let dryRun: { exitCode: number; stdout: string } | undefined;
  let dryRunLeft: string[] = [];

  beforeAll(async () => {
    before.loops = await loopDevices();
    before.netns = await netnsList();
    await lab.down(); // after an earlier run that was killed
    // GIVEN a small lab spec, rendered for the container hosts of this plan
    const specFile = join(dir, 'testbed.yaml');
    writeFileSync(
      specFile,
      [
        'name: ceph-hosts-test',
        'lab:',
        `  dir: ${labDir}`,
        '  osds_per_backend: 2',
        '  bluestore_file_gib: 4',
        '  filestore_journal_mib: 128',
        `  pool_pg_num: ${PG_NUM}`,
        '  pool_size: 2',
        '',
      ].join('\n'),
    );
    const { spec } = loadSpec(specFile);
    renderTestbed({ spec, target: 'lab', outDir: renderedDir, labHosts: labHostsRender(lab.plan), root: dir, hostHasKvm: false });
    pools = (parse(readFileSync(join(renderedDir, 'inventory.yml'), 'utf8')) as { all: { vars: { testbed_ceph_pools: typeof pools } } }).all.vars
      .testbed_ceph_pools;
    // AND the hosts up, reached over SSH
    up = await lab.up();
    controllerPid = up.hosts.find((h) => h.host.name === 'controller')!.leaderPid;
    writeSiteInventory({
      plan: lab.plan,
      renderedDir,
      file: siteFile,
      ssh: { privateKeyFile: up.privateKeyFile, knownHostsFile: up.knownHostsFile },
    });
    // WHEN site.yml's Ceph phases run against them, first as a dry run (which must change nothing)
    dryRun = await site('check', 300_000, true);
    dryRunLeft = ['usr/bin/ceph-mon', 'var/lib/ceph', 'etc/ceph/ceph.conf'].filter((f) => existsSync(join(lab.rootOf('controller'), f)));
    firstRun = await site('first', FIRST_RUN_TIMEOUT_MS);
  }, FIRST_RUN_TIMEOUT_MS + 300_000);

  afterAll(async () => {
    await lab.down().catch((e) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
    console.log(`timings: ${JSON.stringify(timings)}`);
  }, 120_000);

  it('dry-runs the Ceph phases (--check --diff) on the fresh hosts without a failure, installing and writing nothing', () => {
    expect(dryRun!.exitCode).toBe(0);
    expect(
      failuresOf(
        dryRun!.stdout,
        lab.plan.hosts.map((h) => h.name),
      ),
    ).toEqual(['compute-1', 'compute-2', 'controller'].map((host) => ({ host, failed: 0, unreachable: 0 })));
    // AND it showed the ceph.conf it would write, but no key (no_log), and left the controller as it was
    expect(dryRun!.stdout).toMatch(/\+fsid = [0-9a-f-]{36}/);
    expect(dryRun!.stdout).not.toMatch(/key = [A-Za-z0-9+/]{38}==/);
    expect(dryRunLeft).toEqual([]);
  });

  it('runs the Ceph phases on the controller over SSH without a failed task', () => {
    const recap = hostRecap(firstRun!.stdout);
    expect(firstRun!.exitCode).toBe(0);
    expect(recap.controller).toMatchObject({ failed: 0, unreachable: 0 });
    expect(recap.controller!.changed).toBeGreaterThan(0);
    // AND the daemons run under Debian's units, as user ceph
    expect(firstRun!.stdout).toMatch(/TASK \[ceph_osd : Enable and start the OSDs\.\]/);
  });

  it(
    'reaches HEALTH_OK (or HEALTH_WARN only for the expected reasons)',
    async () => {
      const deadline = Date.now() + HEALTH_TIMEOUT_MS;
      let status: { health: { status: string; checks: Record<string, unknown> } } | undefined;
      while (Date.now() < deadline) {
        status = JSON.parse(await ceph('status', '--format', 'json').catch(() => '{"health":{"status":"unreachable","checks":{}}}'));
        if (status!.health.status === 'HEALTH_OK') break;
        await new Promise((r) => setTimeout(r, 3000));
      }
      console.log(
        `health: ${status!.health.status} ${Object.keys(status!.health.checks).join(', ')} after ${Date.now() - deadline + HEALTH_TIMEOUT_MS} ms`,
      );
      if (status!.health.status !== 'HEALTH_OK') console.error(await ceph('health', 'detail').catch((e: Error) => e.message));
      // Filestore is deprecated in 16.2 but not flagged; a recently crashed daemon would be (RECENT_CRASH).
      const unexpected = Object.keys(status!.health.checks).filter((c) => !['MON_DISK_LOW'].includes(c));
      expect({ status: status!.health.status === 'HEALTH_OK' || status!.health.status === 'HEALTH_WARN', unexpected }).toEqual({
        status: true,
        unexpected: [],
      });
      for (const unit of ['ceph-mon@controller', 'ceph-mgr@controller', 'ceph-osd@0'])
        expect((await nsenter(controllerPid, 'systemctl', ['show', '--property=ActiveState', '--value', unit])).stdout.trim(), unit).toBe('active');
      const users = (await nsenter(controllerPid, 'ps', ['-C', 'ceph-mon,ceph-mgr,ceph-osd', '-o', 'user=,comm='])).stdout.trim().split('\n');
      expect(users.length).toBe(6);
      expect(users.every((l) => l.trim().startsWith('ceph '))).toBe(true);
    },
    HEALTH_TIMEOUT_MS + 60_000,
  );

  it('has both device classes, each with its two OSDs up and in', async () => {
    const tree = JSON.parse(await ceph('osd', 'tree', '--format', 'json')) as { nodes: OsdTreeNode[] };
    const osds = tree.nodes.filter((n) => n.type === 'osd');
    osdsByBackend = { filestore: [], bluestore: [] };
    for (const o of osds) osdsByBackend[o.device_class ?? 'none']?.push(o.id);
    expect(osdsByBackend.filestore!.length).toBe(2);
    expect(osdsByBackend.bluestore!.length).toBe(2);
    for (const o of osds) expect({ id: o.id, status: o.status, reweight: o.reweight }).toEqual({ id: o.id, status: 'up', reweight: 1 });
    // AND each OSD really runs its backend's object store
    for (const o of osds) {
      const meta = JSON.parse(await ceph('osd', 'metadata', String(o.id), '--format', 'json')) as { osd_objectstore: string };
      expect(meta.osd_objectstore).toBe(o.device_class);
    }
  });

  it('puts the Filestore and the Bluestore pool on replicated rules by device class, with PGs only on that class', async () => {
    expect(pools.map((p) => p.backend).sort()).toEqual(['bluestore', 'filestore']);
    const rules = JSON.parse(await ceph('osd', 'crush', 'rule', 'dump', '--format', 'json')) as {
      rule_id: number;
      rule_name: string;
      steps: { op: string; item_name?: string }[];
    }[];
    const detail = JSON.parse(await ceph('osd', 'pool', 'ls', 'detail', '--format', 'json')) as {
      pool_name: string;
      crush_rule: number;
      pg_num: number;
    }[];
    for (const pool of pools) {
      const p = detail.find((d) => d.pool_name === pool.name)!;
      const rule = rules.find((r) => r.rule_id === p.crush_rule)!;
      expect(rule.rule_name).toBe(`${pool.backend}_rule`);
      expect(rule.steps.find((s) => s.op === 'take')?.item_name).toBe(`default~${pool.backend}`);
      expect(p.pg_num).toBe(PG_NUM);
      const pgs = JSON.parse(await ceph('pg', 'ls-by-pool', pool.name, '--format', 'json')).pg_stats as { acting: number[] }[];
      const used = [...new Set(pgs.flatMap((pg) => pg.acting))];
      expect(
        used.every((id) => osdsByBackend[pool.backend]!.includes(id)),
        `${pool.name} on OSDs ${used.join(',')}`,
      ).toBe(true);
    }
  });

  it('writes an RBD image in each pool from outside the controller and reads the same bytes back inside it', async () => {
    const conf = join(renderedDir, 'ceph', 'ceph.conf');
    const keyring = join(renderedDir, 'ceph', 'ceph.client.admin.keyring');
    for (const [i, pool] of pools.entries()) {
      // GIVEN the image the role made; WHEN QEMU's librbd driver on this machine writes a pattern over the bridge
      const byte = 0xa5 + i;
      await execaRunner(
        'qemu-io',
        ['-f', 'raw', '-c', `write -P ${byte} 1M 256k`, `rbd:${pool.name}/small-1:conf=${conf}:id=admin:keyring=${keyring}`],
        {
          timeoutMs: 120_000,
        },
      );
      // THEN the rbd CLI in the controller reads the same bytes back
      const dump = `/root/${pool.name}.raw`;
      await nsenter(controllerPid, 'rbd', ['export', `${pool.name}/small-1`, dump], { timeoutMs: 120_000 });
      const bytes = readFileSync(join(lab.rootOf('controller'), dump)).subarray(1 << 20, (1 << 20) + (256 << 10));
      expect(bytes.length).toBe(256 << 10);
      expect(bytes.every((b) => b === byte)).toBe(true);
      await nsenter(controllerPid, 'rm', ['-f', dump]);
    }
  }, 300_000);

  it('gives the computes ceph.conf and the nova and cinder keyrings (0640), with which compute-1 reads each pool as client.nova', async () => {
    const compute = up.hosts.find((h) => h.host.name === 'compute-1')!;
    for (const client of ['client.nova', 'client.cinder']) {
      const st = statSync(join(compute.root, `etc/ceph/ceph.${client}.keyring`));
      expect({ client, mode: (st.mode & 0o777).toString(8), uid: st.uid }).toEqual({ client, mode: '640', uid: 0 });
    }
    for (const [i, pool] of pools.entries()) {
      const dump = `/root/${pool.name}.raw`;
      await nsenter(compute.leaderPid, 'rbd', ['--id', 'nova', 'export', `${pool.name}/small-1`, dump], { timeoutMs: 120_000 });
      const bytes = readFileSync(join(compute.root, dump)).subarray(1 << 20, (1 << 20) + (256 << 10));
      expect(bytes.every((b) => b === 0xa5 + i)).toBe(true);
      await nsenter(compute.leaderPid, 'rm', ['-f', dump]);
    }
  }, 300_000);

  it('reports changed=0 on a second run', async () => {
    const { exitCode, stdout } = await site('second', 600_000);
    expect(exitCode).toBe(0);
    const recap = hostRecap(stdout);
    expect(Object.keys(recap).sort()).toEqual(['compute-1', 'compute-2', 'controller']);
    for (const [host, r] of Object.entries(recap)) expect({ host, changed: r.changed, failed: r.failed }).toEqual({ host, changed: 0, failed: 0 });
    const pss = containerPssKib(controllerPid);
    console.log(`controller container PSS with mon+mgr+4 OSDs: ${(pss / 1024).toFixed(0)} MiB`);
    timings.controllerPssMib = Math.round(pss / 1024);
  }, 660_000);

  it('tears down leaving no container, process, loop device, mount, netns, link or host files', async () => {
    // GIVEN every process of the controller (the Ceph daemons among them), with its start time
    const inside = pidsInside(lab.rootOf('controller')).map((pid) => ({ pid, start: startTime(pid) }));
    expect(inside.length).toBeGreaterThan(6);
    // AND a loop device attached inside the controller to a file of its own (loop devices outlive containers)
    const free = (await execaRunner('losetup', ['--find'])).stdout.trim();
    const minor = /^\/dev\/loop(\d+)$/.exec(free)![1]!;
    await nsenter(controllerPid, 'truncate', ['--size', '16M', '/root/loop.img']);
    await execaRunner('nsenter', ['-t', String(controllerPid), '-m', 'mknod', free, 'b', '7', minor]);
    await execaRunner('nsenter', ['-t', String(controllerPid), '-m', '-r', 'losetup', free, '/root/loop.img']);
    expect((await loopDevices()).some((l) => new RegExp(`^${free}\\s+/root/loop\\.img\\s`).test(l))).toBe(true);
    // WHEN the hosts go down
    const t0 = Date.now();
    await lab.down();
    timings.down = Date.now() - t0;
    // THEN none of those processes lives on, and no container is left
    expect(inside.filter((p) => p.start !== undefined && startTime(p.pid) === p.start)).toEqual([]);
    for (const h of lab.plan.hosts) {
      expect(leadersOf(lab.rootOf(h.name))).toEqual([]);
      expect(pidsWithArgument(nspawnMarker(lab.rootOf(h.name)))).toEqual([]);
    }
    await waitUntilGone(() => pidsWithArgument(`UserKnownHostsFile=${lab.knownHostsFile}`).length > 0, 15_000);
    expect(pidsWithArgument(`UserKnownHostsFile=${lab.knownHostsFile}`)).toEqual([]);
    expect(pidsWithArgument(join(CACHE, 'apt-cache', 'conf'))).toEqual([]);
    // AND no loop device, netns, mount, link or file of ours
    expect(await loopDevices()).toEqual(before.loops);
    expect(await netnsList()).toEqual(before.netns);
    expect(
      readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .filter((m) => m.includes(dir)),
    ).toEqual([]);
    const links = (await ipJson<{ ifname: string }[]>(['link', 'show'])).map((l) => l.ifname);
    expect(links.filter((n) => n === PLAN.bridge || n.startsWith(`${PLAN.prefix}-`))).toEqual([]);
    expect(readdirSync(labDir)).toEqual([]);
  }, 180_000);
});
