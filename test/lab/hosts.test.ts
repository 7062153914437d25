/**
 * The host layer for real: Debian 12 systemd-nspawn containers on a bridge (controller, compute-1,
 * compute-2), reached by SSH and Ansible, with packages only through the cache on the bridge
 * address, then torn down leaving nothing; and a bring-up killed midway, torn down the same.
 *
 * Root only. Its own bridge, link prefix and range (tbhtbr0, tbht-*, 10.213.79.0/24), so it never
 * touches the namespace lab. The base rootfs and the package cache are kept across runs in
 * TESTBED_HOSTS_TEST_CACHE (default /var/tmp/testbed-hosts-test-cache): the first run builds the
 * rootfs (about 1-3 min), later runs reuse it. Run it under the lab lock:
 *   flock /tmp/testbed-lab.lock npx vitest run test/lab/hosts.test.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ipJson, tc } from '../../src/exec/iproute2.js';
import { nsenter } from '../../src/exec/nspawn.js';
import { execaRunner } from '../../src/exec/runner.js';
import { containerPssKib, leadersOf, nspawnMarker } from '../../src/lab/hosts/container.js';
import { HostLab, type HostLabProps, type HostLabUp } from '../../src/lab/hosts/host-lab.js';
import { readHostState } from '../../src/lab/hosts/host-state.js';
import { isOurs, pidsWithArgument, waitUntilGone } from '../../src/lab/hosts/processes.js';
import { describeWhere, missingFor } from '../support/requirements.js';

const skip = missingFor(['systemd-nspawn', 'debootstrap', 'apt-cacher-ng', 'nsenter', 'ssh-keygen', 'ssh', 'ansible', 'ip', 'tc']);

const CACHE = process.env.TESTBED_HOSTS_TEST_CACHE ?? '/var/tmp/testbed-hosts-test-cache';
const PLAN = { bridge: 'tbhtbr0', prefix: 'tbht', cidr: '10.213.79.0/24' } as const;
const LINK_MBIT = 500;

function props(dir: string): HostLabProps {
  return { dir, cacheDir: CACHE, plan: PLAN, computeLinkMbit: LINK_MBIT, log: (l) => console.log(l) };
}

const rootLinks = async () => (await ipJson<{ ifname: string }[]>(['link', 'show'])).map((l) => l.ifname);

/** Everything the layer could leave behind, as a list of findings (empty: nothing left). */
async function leftovers(lab: HostLab, cachePid?: number): Promise<string[]> {
  const found: string[] = [];
  for (const h of lab.plan.hosts) {
    const root = lab.rootOf(h.name);
    const nspawn = pidsWithArgument(nspawnMarker(root));
    if (nspawn.length) found.push(`${h.name}: systemd-nspawn PIDs ${nspawn.join(', ')}`);
    const leaders = leadersOf(root);
    if (leaders.length) found.push(`${h.name}: container PID 1 ${leaders.join(', ')}`);
    if (existsSync(root)) found.push(`${h.name}: rootfs copy ${root}`);
    if (existsSync(`/run/systemd/nspawn/propagate/${lab.machineOf(h.name)}`)) found.push(`${h.name}: nspawn propagate folder`);
  }
  const links = await rootLinks();
  for (const l of links.filter((n) => n === PLAN.bridge || n.startsWith(`${PLAN.prefix}-`))) found.push(`link ${l}`);
  const qdiscs = (await tc(['-j', 'qdisc', 'show'])).stdout;
  if (qdiscs.includes(`"dev":"${PLAN.prefix}-`)) found.push('a qdisc on one of our links');
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((m) => m.includes(lab.dir) || m.includes(CACHE));
  found.push(...mounts.map((m) => `mount ${m}`));
  const cacheMarker = join(CACHE, 'apt-cache', 'conf');
  const caches = pidsWithArgument(cacheMarker);
  if (caches.length || isOurs(cachePid, cacheMarker)) found.push(`apt-cacher-ng PIDs ${[...caches, cachePid].join(', ')}`);
  const ssh = pidsWithArgument(`UserKnownHostsFile=${lab.knownHostsFile}`);
  if (ssh.length) found.push(`ssh processes ${ssh.join(', ')}`);
  if (existsSync(lab.hostsDir)) found.push(`hosts folder ${lab.hostsDir}`);
  return found;
}

async function ansible(up: HostLabUp, pattern: string, module: string, args?: string) {
  return execaRunner('ansible', ['-i', up.inventoryFile, pattern, '-m', module, ...(args ? ['-a', args] : []), '-o'], {
    cwd: resolve(up.inventoryFile, '..'),
    env: { ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1' },
    timeoutMs: 300_000,
  });
}

/** The package cache's log lines for one client: [I(ncoming from the mirror)|O(utgoing to the client), path]. */
function cacheLog(client: string): { dir: string; path: string }[] {
  const log = join(CACHE, 'apt-cache', 'log', 'apt-cacher.log');
  return readFileSync(log, 'utf8')
    .split('\n')
    .map((l) => l.split('|'))
    .filter((f) => f[3] === client)
    .map((f) => ({ dir: f[1]!, path: f[4]! }));
}

describeWhere(skip, 'lab container hosts (systemd-nspawn)', () => {
  const dir = mkdtempSync('/var/tmp/testbed-hosts-');
  const lab = new HostLab(props(dir));
  let up: HostLabUp;
  let cachePid: number | undefined;

  beforeAll(async () => {
    await lab.down(); // after an earlier run that was killed
    up = await lab.up();
    cachePid = readHostState(lab.stateFile).cache?.pid;
  });
  afterAll(async () => {
    await lab.down().catch((e) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
  });

  it('boots controller, compute-1 and compute-2 with systemd as PID 1, running', async () => {
    // THEN each planned host has its address and systemd reports running (or degraded)
    expect(up.hosts.map((h) => [h.host.name, h.host.ip])).toEqual([
      ['controller', '10.213.79.10'],
      ['compute-1', '10.213.79.20'],
      ['compute-2', '10.213.79.21'],
    ]);
    for (const h of up.hosts) {
      const r = await nsenter(h.leaderPid, 'systemctl', ['is-system-running']).catch((e: Error) => ({ stdout: e.message }));
      expect(r.stdout.trim()).toMatch(/^(running|degraded)$/);
      expect((await nsenter(h.leaderPid, 'hostname', [])).stdout.trim()).toBe(h.host.name);
      console.log(
        `${h.host.name}: ${h.system.state}, copy ${h.copyMs} ms, boot ${h.bootMs} ms, PSS ${(containerPssKib(h.leaderPid) / 1024).toFixed(1)} MiB, failed: ${h.system.failedUnits.join(',') || 'none'}`,
      );
    }
    console.log(`rootfs: ${up.rootfs.built ? `built in ${up.rootfs.buildMs} ms` : 'cached'} at ${up.rootfs.path}`);
  });

  it('reaches every host with ansible ping over SSH, checking host keys against the known_hosts it wrote', async () => {
    // GIVEN the lab's private key is 0600 and known_hosts holds one key per host
    expect(statSync(up.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(up.knownHostsFile, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(up.inventoryFile, 'utf8')).toContain('StrictHostKeyChecking=yes');
    // WHEN ansible pings all hosts THEN each answers pong
    const r = await ansible(up, 'all', 'ansible.builtin.ping');
    const pongs = r.stdout.split('\n').filter((l) => / \| SUCCESS => .*"ping": "pong"/.test(l));
    expect(pongs.map((l) => l.split(' ')[0]).sort()).toEqual(['compute-1', 'compute-2', 'controller']);
  });

  it('fails to connect when a host key does not match known_hosts', async () => {
    // GIVEN a known_hosts file whose key for compute-1 is compute-2's
    const lines = readFileSync(up.knownHostsFile, 'utf8').trim().split('\n');
    const wrong = join(dir, 'wrong_known_hosts');
    const key2 = lines[2]!.split(' ').slice(1).join(' ');
    writeFileSync(wrong, `compute-1,10.213.79.20 ${key2}\n`);
    // WHEN ssh connects with it THEN it refuses (no silent acceptance)
    const r = await execaRunner('ssh', [
      '-i',
      up.privateKeyFile,
      '-o',
      `UserKnownHostsFile=${wrong}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      'root@10.213.79.20',
      'true',
    ]).catch((e: Error) => ({ exitCode: 255, stdout: e.message }));
    expect(r.exitCode).toBe(255);
  });

  it('installs a package with ansible.builtin.apt through the cache, the second host served from the cache', async () => {
    // WHEN compute-1 then compute-2 install jq (index update included)
    const times: number[] = [];
    for (const h of ['compute-1', 'compute-2']) {
      const t0 = Date.now();
      const r = await ansible(up, h, 'ansible.builtin.apt', 'name=jq state=present update_cache=true');
      times.push(Date.now() - t0);
      expect(r.stdout).toMatch(new RegExp(`^${h} \\| CHANGED`, 'm'));
    }
    console.log(`apt through the cache: compute-1 ${times[0]} ms, compute-2 ${times[1]} ms`);
    // THEN jq runs there, and compute-2 got every .deb from the cache: none came in from the mirror for it
    for (const h of up.hosts.filter((x) => x.host.role === 'compute'))
      expect((await nsenter(h.leaderPid, 'jq', ['--version'])).stdout).toMatch(/^jq-1/);
    const second = cacheLog('10.213.79.21');
    expect(second.filter((l) => l.dir === 'O' && l.path.endsWith('.deb')).length).toBeGreaterThan(0);
    expect(second.filter((l) => l.dir === 'I' && l.path.endsWith('.deb'))).toEqual([]);
    // Two apt runs with index updates: about 55 s on a quiet machine, more when it is busy.
  }, 240_000);

  it('gives the hosts no route beyond the bridge, and apt a proxy on the bridge address only', async () => {
    for (const h of up.hosts) {
      const routes = (await nsenter(h.leaderPid, 'ip', ['-j', 'route', 'show'])).stdout;
      expect(JSON.parse(routes)).toEqual([expect.objectContaining({ dst: '10.213.79.0/24', dev: 'host0' })]);
      expect(readFileSync(join(h.root, 'etc/apt/apt.conf.d/01-testbed-proxy'), 'utf8')).toContain('http://10.213.79.1:3142');
    }
    // AND the cache listens on the bridge address and nowhere else
    const listening = (await execaRunner('ss', ['-Hltnp'])).stdout.split('\n').filter((l) => l.includes(`pid=${cachePid},`));
    expect(listening.map((l) => l.split(/\s+/)[3])).toEqual(['10.213.79.1:3142']);
  });

  it('shapes each compute link (host side of its veth) with tbf at the given rate, and not the controller', async () => {
    const rate = async (dev: string) => {
      const q = JSON.parse((await tc(['-j', 'qdisc', 'show', 'dev', dev])).stdout) as { kind: string; options?: { rate?: number } }[];
      const tbf = q.find((x) => x.kind === 'tbf');
      return tbf?.options?.rate === undefined ? undefined : tbf.options.rate * 8;
    };
    expect(await rate('tbht-cmp1')).toBe(LINK_MBIT * 1e6);
    expect(await rate('tbht-cmp2')).toBe(LINK_MBIT * 1e6);
    expect(await rate('tbht-ctl1')).toBeUndefined();
  });

  it('tears down leaving no process, link, qdisc, mount or host copy, keeps the base rootfs, and twice is fine', async () => {
    // GIVEN what is up now
    expect((await leftovers(lab, cachePid)).length).toBeGreaterThan(0);
    // WHEN it goes down twice
    const t0 = Date.now();
    await lab.down();
    console.log(`teardown: ${Date.now() - t0} ms`);
    await lab.down();
    // THEN nothing is left (ssh masters go when their connection does), and the cached rootfs stays
    await waitUntilGone(() => pidsWithArgument(`UserKnownHostsFile=${lab.knownHostsFile}`).length > 0, 15_000);
    expect(await leftovers(lab, cachePid)).toEqual([]);
    expect(existsSync(join(up.rootfs.path, 'usr/lib/systemd/systemd'))).toBe(true);
  });
});

describeWhere(skip, 'lab container hosts, bring-up killed midway', () => {
  const dir = mkdtempSync('/var/tmp/testbed-hosts-kill-');
  const lab = new HostLab(props(dir));
  afterAll(async () => {
    await lab.down().catch((e) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
  });

  it('tears down everything a bring-up made before it was killed with SIGKILL after its first container started', async () => {
    // GIVEN a bring-up in its own process, killed as soon as it reports the controller started
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/lab/support/hosts-up.ts', 'up', JSON.stringify({ ...props(dir), log: undefined })],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    await new Promise<void>((resolveKill, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('hosts: started controller')) {
          child.kill('SIGKILL');
          resolveKill();
        }
      });
      child.once('exit', () => reject(new Error(`the bring-up ended before it could be killed:\n${out}`)));
    });
    await new Promise((r) => child.once('exit', r));
    // AND it left a running container, the package cache and the bridge behind
    const state = readHostState(lab.stateFile);
    expect(leadersOf(lab.rootOf('controller')).length).toBe(1);
    expect(isOurs(state.cache?.pid, join(CACHE, 'apt-cache', 'conf'))).toBe(true);
    expect(await rootLinks()).toEqual(expect.arrayContaining([PLAN.bridge, 'tbht-ctl1']));
    expect(state.hosts['compute-2']).toBeUndefined();
    // WHEN another process (this one) tears down from the state file
    await lab.down();
    // THEN nothing is left
    expect(await leftovers(lab, state.cache?.pid)).toEqual([]);
  });
});
