/**
 * The lab, end to end, as a user runs it, and a real OpenStack under it:
 * 1. `cdktf deploy lab`: Debian container hosts, then site.yml over SSH (Ceph, OpenStack, HAProxy,
 *    the policy job), then the guest in Glance; `testbed lab status` finds two nova-compute services
 *    up, Ceph healthy and the policy service active;
 * 2. one experiment cell per pool through Nova: a server booted from a Cinder volume of the
 *    Filestore pool's type and one of the Bluestore pool's, each live-migrated with os-migrateLive
 *    (2.56) while its guest dirties memory and writes its disk, QEMU's figures from libvirt beside
 *    Nova's, every guest check before and after passed; fio on both pools; the report;
 * 3. a server on a Bluestore volume (an RBD image of that pool), and a decision on it taken by the
 *    installed policy service against the real Nova;
 * 4. site.yml again, with changed=0;
 * 5. `cdktf destroy lab`, leaving no container, process, link, mount, loop device or folder.
 *
 * Root only; CI runs it. Its own testbed name, lab.dir, bridge, link prefix and range; the base
 * rootfs and the package cache are shared with the other host tests (TESTBED_HOSTS_TEST_CACHE).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../../src/config/load.js';
import { nsenter } from '../../src/exec/nspawn.js';
import { bootFromVolume, deleteServer } from '../../src/lab/openstack/servers.js';
import { labHosts, openLabCloud } from '../../src/targets/lab/context.js';
import { describeWhere, missingFor } from '../support/requirements.js';
import { HOSTS_TEST_CACHE as CACHE, smallLabSpec } from './support/lab-spec.js';
import { labLeftovers } from './support/leftovers.js';
import { failuresOf, recapOf, runSite } from './support/site-run.js';

const skip = missingFor(['systemd-nspawn', 'debootstrap', 'apt-cacher-ng', 'nsenter', 'ssh-keygen', 'ssh', 'ansible-playbook', 'ip', 'gcc', 'fio']);

const NAME = 'tb-smoke';
const LAB_DIR = '/var/tmp/tb-smoke-lab';
const LINKS = { bridge: 'tbsmbr0', prefix: 'tbsm' } as const;
const dir = mkdtempSync(join(tmpdir(), 'tb-smoke-'));
const specFile = join(dir, 'smoke.yaml');
const env = { ...process.env, TESTBED_SPEC: specFile, CHECKPOINT_DISABLE: '1' };

function testbed(args: string[], timeoutMs = 300_000) {
  const r = spawnSync(process.execPath, ['bin/testbed.mjs', ...args], { encoding: 'utf8', env, timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function cdktf(args: string[], timeoutMs = 1_800_000) {
  const t0 = Date.now();
  const r = spawnSync('npx', ['--no-install', 'cdktf', ...args, '--auto-approve'], { encoding: 'utf8', env, timeout: timeoutMs });
  console.log(`cdktf ${args.join(' ')}: exit ${r.status} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

interface Migration {
  vm: string;
  pool: string;
  status: string;
  reason?: string;
  pattern_verified: boolean;
  verified_pages: number;
  verified_blocks: number;
  total_ms: number;
  downtime_ms: number;
  transferred_bytes: number;
  nova_ms: number;
  source: string;
  target: string;
}

describeWhere(skip, 'the lab, end to end: cdktf deploy lab (OpenStack on container hosts), experiments through Nova, policy, destroy', () => {
  let migrations: Migration[] = [];

  beforeAll(() => {
    writeFileSync(
      specFile,
      smallLabSpec({
        name: NAME,
        labDir: LAB_DIR,
        cidr: '10.213.82.0/24',
        links: LINKS,
        // The policy job samples every 10 s, so it sees each experiment server at least twice.
        extra: ['policy:', '  sample_period_s: 10', 'experiments:', '  fio: { image_size_gb: 1, runtime_s: 3, ramp_s: 1, repeats: 3 }'],
      }),
    );
  });

  afterAll(() => {
    // Whatever happened, leave nothing running.
    if (labLeftovers({ labDir: LAB_DIR, name: NAME, links: LINKS }).length) cdktf(['destroy', 'lab']);
  }, 600_000);

  it('deploys the lab with cdktf and finds two nova-compute services up, Ceph healthy and the policy service active', () => {
    const deploy = cdktf(['deploy', 'lab']);
    expect(deploy.code, deploy.out.slice(-4000)).toBe(0);
    const status = testbed(['lab', 'status', '--json']);
    const s = JSON.parse(status.stdout);
    expect(s.healthy, status.stdout).toBe(true);
    expect(s.ceph.health).toBe('HEALTH_OK');
    expect([...s.nova.computes].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual([
      { name: 'compute-1', usable: true },
      { name: 'compute-2', usable: true },
    ]);
    expect(s.policyJob.state).toBe('active');
    // AND the compute links are shaped to the spec's 1 Gbit/s
    for (const l of s.links) expect(l.tc, l.link).toMatch(/tbf .*rate 1Gbit/);
  }, 1_900_000);

  it('live-migrates a server on a Filestore volume and one on a Bluestore volume through Nova while their guests write, and the guests find every byte intact', async () => {
    // WHEN one cell per pool runs with the memory and disk load, and fio on both pools
    const r = testbed(
      [
        'experiment',
        'run',
        '--target',
        'lab',
        '--pools',
        'filestore,bluestore',
        '--flavors',
        'small',
        '--load',
        'memory+disk',
        '--reps',
        '1',
        '--out',
        join(dir, 'results'),
      ],
      1_200_000,
    );
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    const runDir = /^results: (.+)$/m.exec(r.stdout)![1]!.trim();
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    migrations = results.migrations;
    console.log(
      `migrations: ${JSON.stringify(migrations.map(({ pool, status, total_ms, downtime_ms, nova_ms, transferred_bytes }) => ({ pool, status, total_ms, downtime_ms, nova_ms, transferred_bytes })))}`,
    );
    // THEN each pool's server migrated from compute-1 to compute-2, verified by its guest
    expect(migrations.map((m) => m.pool).sort()).toEqual(['bluestore', 'filestore']);
    for (const m of migrations) {
      expect({ pool: m.pool, status: m.status, reason: m.reason, verified: m.pattern_verified }).toEqual({
        pool: m.pool,
        status: 'completed',
        reason: undefined,
        verified: true,
      });
      expect(m.verified_pages, m.pool).toBeGreaterThan(0);
      expect(m.verified_blocks, m.pool).toBeGreaterThan(0);
      // AND QEMU's figures come from libvirt on the destination, inside Nova's own time
      expect(m.total_ms, m.pool).toBeGreaterThan(0);
      expect(m.downtime_ms, m.pool).toBeGreaterThan(0);
      expect(m.downtime_ms, m.pool).toBeLessThan(m.total_ms);
      expect(m.transferred_bytes, m.pool).toBeGreaterThan(1024 * 1024);
      expect(m.nova_ms, m.pool).toBeGreaterThanOrEqual(m.total_ms);
    }
    // AND their boot volumes went with them (Nova, holding the service role, could detach them)
    const { client } = openLabCloud(loadSpec(specFile).spec);
    const left = await client.request<{ volumes: { id: string; status: string }[] }>('GET', '/volumes/detail', undefined, { service: 'volume' });
    expect(left.volumes.map((v) => `${v.id} ${v.status}`)).toEqual([]);
    // AND fio ran on both pools, and the report renders
    expect(new Set(results.fio.map((f: { pool: string }) => f.pool))).toEqual(new Set(['filestore', 'bluestore']));
    const report = testbed(['report', runDir]);
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<svg');
  }, 1_300_000);

  it('has the installed policy service decide, through the real Nova and in dry run, on a server whose disk is an RBD image of the Bluestore pool', async () => {
    const { spec } = loadSpec(specFile);
    const lab = labHosts(spec);
    const controller = lab.leaderOf('controller')!;
    const { client } = openLabCloud(spec);
    // GIVEN a server booted from a new volume of the bluestore type, from the guest image the deploy uploaded
    const images = await client.request<{ images: { id: string }[] }>('GET', '/v2/images?name=testbed-guest-idle', undefined, { service: 'image' });
    const server = await bootFromVolume(client, { name: `${NAME}-policy`, flavor: 'small', imageId: images.images[0]!.id, volumeType: 'bluestore' });
    try {
      // THEN its volume is an RBD image of the bluestore pool
      const volumeId = server['os-extended-volumes:volumes_attached']![0]!.id;
      const rbd = (await nsenter(controller, 'rbd', ['ls', 'bluestore'], { timeoutMs: 60_000 })).stdout.split('\n');
      expect(rbd).toContain(`volume-${volumeId}`);
      // AND within a few of the job's 10 s cycles, one of its plans decides on it, with a reason, acting on nothing
      type Plan = { type: string; dryRun?: boolean; plan?: { decisions: { vmId: string; state: string; reason: string }[]; actions: unknown[] } };
      let deciding: Plan | undefined;
      for (const deadline = Date.now() + 300_000; !deciding && Date.now() < deadline; await new Promise((r) => setTimeout(r, 5000))) {
        const journal = (await nsenter(controller, 'journalctl', ['-u', 'sds-testbed-policy', '-o', 'cat', '--no-pager'], { timeoutMs: 30_000 }))
          .stdout;
        deciding = journal
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Plan)
          .find((e) => e.type === 'plan' && e.plan!.decisions.some((d) => d.vmId === server.id));
      }
      expect(deciding, 'a plan that decides on the server').toBeDefined();
      const decision = deciding!.plan!.decisions.find((d) => d.vmId === server.id)!;
      console.log(`policy decision: ${JSON.stringify(decision)}`);
      expect(deciding!.dryRun).toBe(true);
      expect(decision.reason.length).toBeGreaterThan(0);
    } finally {
      await deleteServer(client, server.id);
    }
  }, 600_000);

  it('reports changed=0 when site.yml runs again', async () => {
    const { spec } = loadSpec(specFile);
    const lab = labHosts(spec);
    const hostNames = lab.plan.hosts.map((h) => h.name);
    const { exitCode, stdout } = await runSite({
      inventory: join(lab.hostsDir, 'site-inventory.yml'),
      tags: ['ceph', 'openstack', 'policy'],
      label: 'second',
      timeoutMs: 900_000,
      timings: {},
      extraVars: { migration_policy_dry_run: true },
    });
    expect(exitCode).toBe(0);
    expect(failuresOf(stdout, hostNames).every((f) => f.failed === 0 && f.unreachable === 0)).toBe(true);
    for (const [host, r] of Object.entries(recapOf(stdout, hostNames))) expect({ host, changed: r.changed }).toEqual({ host, changed: 0 });
  }, 960_000);

  it('destroys the lab with cdktf and leaves nothing behind', () => {
    const destroy = cdktf(['destroy', 'lab'], 600_000);
    expect(destroy.code, destroy.out.slice(-3000)).toBe(0);
    expect(labLeftovers({ labDir: LAB_DIR, name: NAME, links: LINKS })).toEqual([]);
    expect(existsSync(CACHE)).toBe(true);
  }, 660_000);
});
