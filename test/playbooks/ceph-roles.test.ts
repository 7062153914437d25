/**
 * The Ceph roles, for real: `testbed render --target lab --mon-host 127.0.0.1`, then site.yml's
 * Ceph phases with ansible_connection=local build 1 mon, 1 mgr, 2 Filestore and 2 Bluestore OSDs
 * on files, and a pool per backend; then teardown.yml --tags ceph removes it all.
 * Root only (daemons, /proc of other users); CI runs as root with the packages installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec } from '../../src/config/load.js';
import { planLabTopology } from '../../src/config/lab-topology.js';
import { ansiblePlaybook, parsePlayRecap } from '../../src/exec/ansible.js';
import { execaRunner } from '../../src/exec/runner.js';
import { spawnRunner } from './spawn-runner.js';
import { describeWhere } from '../support/requirements.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOOLS = ['ceph-mon', 'ceph-mgr', 'ceph-osd', 'ceph', 'rbd', 'monmaptool', 'ceph-authtool', 'ansible-playbook', 'qemu-io'];
const missing = TOOLS.filter((t) => {
  try {
    execFileSync('which', [t], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot ? 'needs root (Ceph daemons)' : missing.length ? `needs ${missing.join(', ')} (scripts/install-system-deps.sh)` : undefined;

const HEALTH_TIMEOUT_MS = 300_000;

describeWhere(skipReason, 'the Ceph roles on this machine', () => {
  // A disk filesystem (not tmpfs: Bluestore and the Filestore journal need O_DIRECT).
  const root = mkdtempSync('/var/tmp/testbed-ceph-roles-');
  const labDir = path.join(root, 'lab');
  const out = path.join(root, 'rendered');
  const specFile = path.join(root, 'testbed.yaml');
  const cephDir = path.join(labDir, 'ceph');
  const conf = path.join(cephDir, 'ceph.conf');
  let extraVars: Record<string, unknown> = {};
  let osdsByBackend: Record<string, number[]> = {};
  let poolNames: string[] = [];
  let tornDown = false;
  let dryRun: { stdout: string; cephDirAfter: boolean } | undefined;

  const ceph = async (...args: string[]) =>
    (await execaRunner('ceph', ['--conf', conf, '--name', 'client.admin', '--keyring', path.join(cephDir, 'ceph.client.admin.keyring'), '--connect-timeout', '10', ...args])).stdout;
  const site = (playbook: string, tags = ['ceph'], check = false) =>
    ansiblePlaybook({ playbook, inventory: path.join(out, 'inventory.yml'), tags, extraVars, check, diff: check, inherit: false, runner: spawnRunner, timeoutMs: 400_000 });

  beforeAll(async () => {
    // GIVEN a small lab spec whose lab.dir is a temporary folder on disk
    writeFileSync(
      specFile,
      [
        'name: ceph-roles-test',
        'lab:',
        `  dir: ${labDir}`,
        '  osds_per_backend: 2',
        '  bluestore_file_gib: 4',
        '  filestore_journal_mib: 128',
        '  pool_pg_num: 16',
        '  pool_size: 2',
        '',
      ].join('\n'),
    );
    const { spec } = loadSpec(specFile);
    const lab = planLabTopology(spec);
    poolNames = lab.pools.map((p) => p.name);
    osdsByBackend = { filestore: [], bluestore: [] };
    for (const o of lab.osds) osdsByBackend[o.backend]!.push(o.id);
    extraVars = {
      ceph_pools_pools: lab.pools,
      ceph_pools_rbd_images: [{ prefix: 'small', count: 1, size_mib: spec.lab.image_disk_mib }],
    };
    // WHEN it is rendered for the lab with the mon on 127.0.0.1, and site.yml's Ceph phases run
    await execaRunner('node', [path.join(REPO, 'bin/testbed.mjs'), 'render', '--target', 'lab', '--mon-host', '127.0.0.1', '--spec', specFile, '--out', out], { cwd: root });
    // (first as a dry run, which must change nothing on disk)
    const { stdout } = await site('site.yml', ['ceph'], true);
    dryRun = { stdout, cephDirAfter: existsSync(path.join(cephDir, 'mon')) };
    try {
      await site('site.yml');
    } catch (err) {
      console.error(String((err as Error).message));
      throw err;
    }
  }, 420_000);

  afterAll(async () => {
    // Whatever failed above, stop what this test started (by PID, via teardown) and remove its files.
    if (!tornDown && existsSync(path.join(out, 'inventory.yml'))) await site('teardown.yml').catch((e: Error) => console.error(e.message));
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  test('dry-runs the Ceph phases with --check --diff on a fresh machine without touching it', () => {
    // THEN the dry run passed, showed the ceph.conf it would copy, and created no monitor store
    const recap = parsePlayRecap(dryRun!.stdout);
    expect(recap.controller?.failed).toBe(0);
    expect(dryRun!.stdout).toMatch(/\+fsid = [0-9a-f-]{36}/);
    expect(dryRun!.cephDirAfter).toBe(false);
  });

  test('reaches HEALTH_OK within 5 minutes', async () => {
    // THEN the cluster becomes healthy
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let health = '';
    while (Date.now() < deadline) {
      health = (await ceph('health').catch((e: Error) => e.message)).trim();
      if (health === 'HEALTH_OK') break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    if (health !== 'HEALTH_OK') console.error(await ceph('health', 'detail').catch((e: Error) => e.message));
    expect(health).toBe('HEALTH_OK');
  }, HEALTH_TIMEOUT_MS + 30_000);

  test("places each pool's PGs only on its own backend's OSDs", async () => {
    for (const pool of extraVars.ceph_pools_pools as { name: string; backend: string }[]) {
      // WHEN the PGs of the pool are listed
      const pgs = JSON.parse(await ceph('pg', 'ls-by-pool', pool.name, '--format', 'json')).pg_stats as { acting: number[]; up: number[] }[];
      // THEN every replica sits on an OSD of the pool's backend
      expect(pgs.length).toBe(16);
      const used = [...new Set(pgs.flatMap((pg) => [...pg.acting, ...pg.up]))].sort();
      expect(used.every((id) => osdsByBackend[pool.backend]!.includes(id)), `${pool.name} uses OSDs ${used.join(',')}`).toBe(true);
    }
  });

  test('writes to an RBD image in each pool and reads the same bytes back', async () => {
    const keyring = path.join(cephDir, 'ceph.client.admin.keyring');
    for (const pool of poolNames) {
      // GIVEN the image the role made; WHEN QEMU's librbd driver writes a pattern at 1 MiB
      const target = `rbd:${pool}/small-1:conf=${conf}:id=admin:keyring=${keyring}`;
      await execaRunner('qemu-io', ['-f', 'raw', '-c', 'write -P 0xa5 1M 256k', target]);
      // THEN the rbd CLI reads the same bytes back
      const dump = path.join(root, `${pool}.raw`);
      await execaRunner('rbd', ['--conf', conf, '--name', 'client.admin', '--keyring', keyring, 'export', `${pool}/small-1`, dump]);
      const bytes = readFileSync(dump).subarray(1 << 20, (1 << 20) + (256 << 10));
      expect(bytes.length).toBe(256 << 10);
      expect(bytes.every((b) => b === 0xa5)).toBe(true);
      rmSync(dump);
    }
  }, 120_000);

  test('reports changed=0 on a second run', async () => {
    // WHEN site.yml's Ceph phases run again
    const { stdout } = await site('site.yml');
    // THEN nothing changed on any host
    const recap = parsePlayRecap(stdout);
    expect(Object.keys(recap).length).toBeGreaterThan(0);
    for (const [host, r] of Object.entries(recap)) expect({ host, changed: r.changed, failed: r.failed }).toEqual({ host, changed: 0, failed: 0 });
  }, 300_000);

  test('recreates the pools and their images with reset-pools.yml', async () => {
    // WHEN the pools are reset between experiments
    await site('reset-pools.yml', []);
    const keyring = path.join(cephDir, 'ceph.client.admin.keyring');
    for (const pool of poolNames) {
      // THEN each pool is back, with a fresh image: the pattern written before is gone
      const dump = path.join(root, `${pool}.raw`);
      await execaRunner('rbd', ['--conf', conf, '--name', 'client.admin', '--keyring', keyring, 'export', `${pool}/small-1`, dump]);
      const bytes = readFileSync(dump).subarray(1 << 20, (1 << 20) + (256 << 10));
      expect(bytes.length).toBe(256 << 10);
      expect(bytes.every((b) => b === 0)).toBe(true);
      rmSync(dump);
    }
    expect((await ceph('health')).trim()).toBe('HEALTH_OK');
  }, 300_000);

  test('tears down to no Ceph process, mount, loop device or data', async () => {
    // WHEN teardown.yml runs with --tags ceph
    await site('teardown.yml');
    tornDown = true;
    // THEN no live process names the lab's ceph.conf
    const ours = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf);
        } catch {
          return false;
        }
      });
    expect(ours).toEqual([]);
    // AND nothing is mounted or loop-attached under the lab folder, and its Ceph data is gone
    expect(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(labDir))).toEqual([]);
    const loops = (await execaRunner('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'])).stdout;
    expect(loops.split('\n').filter((l) => l.includes(labDir))).toEqual([]);
    expect(existsSync(cephDir)).toBe(false);
  }, 120_000);
});
