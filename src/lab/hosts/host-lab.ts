/**
 * The lab's host layer: Debian container hosts on a bridge, reachable by SSH and Ansible, with
 * packages from a cache on the bridge address and no route anywhere else.
 *
 * `up()` makes, in order, recording each step in `<dir>/hosts/state.json` before taking it:
 * 1. the bridge with the plan's `.1` address;
 * 2. the package cache (apt-cacher-ng) bound to that address;
 * 3. the base rootfs (built once from the machine's mirror, reused while its recipe is unchanged);
 * 4. the lab's SSH key pair;
 * 5. per host: a `cp -a` copy of the rootfs with its own files and host key, systemd-nspawn booting
 *    it, a veth from the bridge into it (compute links shaped with tc tbf);
 * 6. known_hosts and the inventory; then it waits for systemd to run in every host.
 *
 * `down()` removes everything `up()` made, from the state file and the plan together, so it also
 * cleans up after a bring-up that was killed at any point; it is idempotent. It keeps the cache
 * folder (base rootfs and the package cache's .debs) unless `purge`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execaRunner, ip, ipJson, type Runner } from '../../exec/index.js';
import { AptCache } from './apt-cache.js';
import {
  attachLink,
  bootContainer,
  containerPssKib,
  isLeaderOf,
  leadersOf,
  removeNspawnLeftovers,
  stopContainer,
  systemState,
  waitForLeader,
  waitUntilRunning,
  type SystemState,
} from './container.js';
import { machineDebianMirrors, type DebianMirrors } from './debian-mirrors.js';
import { writeHostFiles } from './host-files.js';
import { detachLoopDevicesUnder } from './loop-devices.js';
import { planHosts, type HostPlan, type HostPlanProps, type PlannedHost } from './host-plan.js';
import { readHostState, updateHostState, type HostState } from './host-state.js';
import { isOurs, pidsWithArgument, pidsWithArgumentUnder, terminate } from './processes.js';
import { defaultRecipe, ensureRootfs, type RootfsRecipe } from './rootfs.js';
import { ensureKeyPair, generateHostKey, hostInventory, knownHosts, writeFileMkdir } from './ssh-access.js';

export interface HostLabProps {
  /** The lab folder (`lab.dir`); this layer keeps its files in `<dir>/hosts`. */
  readonly dir: string;
  /**
   * Folder of what outlives a teardown: `rootfs/` (base rootfs builds) and `apt-cache/`.
   * @default `<dir>/cache`
   */
  readonly cacheDir?: string;
  /** @default - the plan's defaults: one controller, two computes on tbhbr0, 10.213.78.0/24 */
  readonly plan?: HostPlanProps;
  /**
   * Shape each compute's link (host side of its veth) to this rate with tc tbf.
   * @default - not shaped
   */
  readonly computeLinkMbit?: number;
  /** @default - the machine's mirrors from /etc/apt */
  readonly mirrors?: DebianMirrors;
  /** @default - `defaultRecipe(mirrors)`: bookworm minbase with systemd, sshd, python3 */
  readonly recipe?: RootfsRecipe;
  /**
   * More systemd-nspawn flags for every host (e.g. `--capability=all`).
   * @default - none
   */
  readonly nspawnArgs?: readonly string[];
  /**
   * Port of the package cache on the bridge address (another apt-cacher-ng, e.g. Debian's service
   * on 0.0.0.0:3142, would otherwise collide).
   * @default 3142
   */
  readonly aptCachePort?: number;
  /** @default 120000 */
  readonly bootTimeoutMs?: number;
  /** Time for each gentle stop step (poweroff, SIGTERM) before the next. @default 20000 */
  readonly stopGraceMs?: number;
  /** @default execaRunner */
  readonly runner?: Runner;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
}

export interface HostUp {
  readonly host: PlannedHost;
  readonly root: string;
  readonly nspawnPid: number;
  readonly leaderPid: number;
  readonly system: SystemState;
  /** Time to copy its rootfs, ms (0 when it was already running). */
  readonly copyMs: number;
  /** From starting nspawn to systemd running or degraded, ms (0 when it was already running). */
  readonly bootMs: number;
}

export interface HostLabUp {
  readonly plan: HostPlan;
  readonly hosts: readonly HostUp[];
  readonly inventoryFile: string;
  readonly knownHostsFile: string;
  readonly privateKeyFile: string;
  readonly aptProxy: string;
  readonly rootfs: { readonly path: string; readonly built: boolean; readonly buildMs?: number };
}

export interface HostLabDownProps {
  /** Also remove the cache folder (base rootfs, package cache). @default false */
  readonly purge?: boolean;
}

export class HostLab {
  readonly plan: HostPlan;
  readonly dir: string;
  readonly hostsDir: string;
  readonly cacheDir: string;
  readonly stateFile: string;
  readonly inventoryFile: string;
  readonly knownHostsFile: string;
  private readonly props: HostLabProps;
  private readonly run: Runner;
  private readonly log: (line: string) => void;

  constructor(props: HostLabProps) {
    this.props = props;
    this.plan = planHosts(props.plan);
    this.dir = props.dir;
    this.hostsDir = join(props.dir, 'hosts');
    this.cacheDir = props.cacheDir ?? join(props.dir, 'cache');
    this.stateFile = join(this.hostsDir, 'state.json');
    this.inventoryFile = join(this.hostsDir, 'inventory.yml');
    this.knownHostsFile = join(this.hostsDir, 'ssh', 'known_hosts');
    this.run = props.runner ?? execaRunner;
    this.log = props.log ?? (() => {});
  }

  rootOf(name: string): string {
    return join(this.hostsDir, 'machines', name);
  }

  /** The nspawn machine name: prefixed, so two labs never share nspawn's per-machine paths. */
  machineOf(name: string): string {
    return `${this.plan.prefix}-${name}`;
  }

  /** The SSH files Ansible reaches the hosts with (made by `up()`). */
  get sshFiles(): { readonly privateKeyFile: string; readonly knownHostsFile: string } {
    return { privateKeyFile: join(this.hostsDir, 'ssh', 'id_ed25519'), knownHostsFile: this.knownHostsFile };
  }

  /** The PID (in this machine's namespace) of the host's systemd, when its container runs. */
  leaderOf(name: string): number | undefined {
    const root = this.rootOf(name);
    return [readHostState(this.stateFile).hosts[name]?.leaderPid, ...leadersOf(root)].find((p) => isLeaderOf(p, root));
  }

  private logOf(name: string): string {
    return join(this.hostsDir, 'logs', `${name}.log`);
  }

  private aptCache(mirrors: DebianMirrors): AptCache {
    return new AptCache({ dir: join(this.cacheDir, 'apt-cache'), bindAddress: this.plan.bridgeIp, port: this.props.aptCachePort, mirrors });
  }

  private record(change: (s: HostState) => void): HostState {
    return updateHostState(this.stateFile, change);
  }

  /** Brings every host up; running it again changes nothing that is already up. */
  async up(): Promise<HostLabUp> {
    const { plan } = this;
    const mirrors = this.props.mirrors ?? machineDebianMirrors('bookworm');
    mkdirSync(this.hostsDir, { recursive: true });

    // 1. The bridge.
    this.record((s) => void (s.bridge = plan.bridge));
    if (!(await this.linkExists(plan.bridge))) {
      this.log(`hosts: creating bridge ${plan.bridge}`);
      await ip(['link', 'add', plan.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], undefined, this.run);
    }
    await ip(['addr', 'replace', `${plan.bridgeIp}/${plan.prefixLength}`, 'dev', plan.bridge], undefined, this.run);
    await ip(['link', 'set', plan.bridge, 'up'], undefined, this.run);

    // 2. The package cache.
    const cache = this.aptCache(mirrors);
    this.record((s) => void (s.cache = { ...s.cache, marker: cache.marker }));
    if (!isOurs(readHostState(this.stateFile).cache?.pid, cache.marker)) {
      const pid = await cache.start((p) => this.record((s) => void (s.cache = { pid: p, marker: cache.marker })));
      this.log(`hosts: package cache (apt-cacher-ng PID ${pid}) on ${cache.url}`);
    }

    // 3. The base rootfs, 4. the key pair.
    const rootfs = await ensureRootfs({
      dir: join(this.cacheDir, 'rootfs'),
      recipe: this.props.recipe ?? defaultRecipe(mirrors),
      // Straight from the mirror: through the cache debootstrap took 197-209 s here, direct 77 s.
      runner: this.run,
      log: this.log,
    });
    const keys = await ensureKeyPair(dirname(this.sshFiles.privateKeyFile), this.run);

    // 5. The hosts: copy, boot, link; each one's wait for systemd starts as soon as it boots.
    const bootTimeoutMs = this.props.bootTimeoutMs ?? 120_000;
    const waits: Promise<HostUp>[] = [];
    const hostKeys: Record<string, string> = {};
    const waitFor = (host: PlannedHost, nspawnPid: number, leaderPid: number, copyMs: number, t0?: number) => {
      const root = this.rootOf(host.name);
      const wait = waitUntilRunning({
        name: host.name,
        leaderPid,
        root,
        logFile: this.logOf(host.name),
        timeoutMs: bootTimeoutMs,
        runner: this.run,
      }).then((system): HostUp => {
        const bootMs = t0 === undefined ? 0 : Date.now() - t0;
        if (t0 !== undefined)
          this.log(
            `hosts: ${host.name} is ${system.state} ${bootMs} ms after nspawn started${system.failedUnits.length ? `; failed: ${system.failedUnits.join(', ')}` : ''}`,
          );
        return { host, root, nspawnPid, leaderPid, system, copyMs, bootMs };
      });
      wait.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled meanwhile
      waits.push(wait);
    };
    for (const host of plan.hosts) {
      const root = this.rootOf(host.name);
      const rec = readHostState(this.stateFile).hosts[host.name];
      if (rec?.nspawnPid && isLeaderOf(rec.leaderPid, root)) {
        hostKeys[host.name] = this.readHostKey(root);
        waitFor(host, rec.nspawnPid, rec.leaderPid, 0);
        continue;
      }
      this.record((s) => void (s.hosts[host.name] = { root, hostLink: host.hostLink }));
      await stopContainer({ name: host.name, root, graceMs: 5_000, runner: this.run });
      removeNspawnLeftovers(root, this.machineOf(host.name));
      rmSync(root, { recursive: true, force: true });
      mkdirSync(join(this.hostsDir, 'machines'), { recursive: true });
      const c0 = Date.now();
      await this.run('cp', ['-a', rootfs.path, root]);
      const copyMs = Date.now() - c0;
      writeHostFiles({ root, host, plan, aptProxy: cache.url, authorizedKey: keys.publicKey });
      hostKeys[host.name] = await generateHostKey(root, this.run);
      const t0 = Date.now();
      const nspawnPid = bootContainer({ root, machine: this.machineOf(host.name), logFile: this.logOf(host.name), extraArgs: this.props.nspawnArgs });
      this.record((s) => void (s.hosts[host.name] = { root, hostLink: host.hostLink, nspawnPid }));
      const leaderPid = await waitForLeader(host.name, nspawnPid, root, this.logOf(host.name));
      this.record((s) => void (s.hosts[host.name] = { root, hostLink: host.hostLink, nspawnPid, leaderPid }));
      const shapeMbit = host.role === 'compute' ? this.props.computeLinkMbit : undefined;
      await attachLink({ leaderPid, hostLink: host.hostLink, bridge: plan.bridge, shapeMbit, runner: this.run });
      this.log(`hosts: started ${host.name} (${host.ip}, nspawn PID ${nspawnPid}, PID 1 ${leaderPid}; rootfs copied in ${copyMs} ms)`);
      waitFor(host, nspawnPid, leaderPid, copyMs, t0);
    }

    // 6. SSH and Ansible, then systemd running everywhere.
    writeFileMkdir(this.knownHostsFile, knownHosts(plan, hostKeys));
    writeFileMkdir(this.inventoryFile, hostInventory(plan, { privateKeyFile: keys.privateKeyFile, knownHostsFile: this.knownHostsFile }));
    const hosts = await Promise.all(waits);
    return {
      plan,
      hosts,
      inventoryFile: this.inventoryFile,
      knownHostsFile: this.knownHostsFile,
      privateKeyFile: keys.privateKeyFile,
      aptProxy: cache.url,
      rootfs: { path: rootfs.path, built: rootfs.built, buildMs: rootfs.buildMs },
    };
  }

  /** Removes every container, link, the bridge, the cache process and the hosts' files. Idempotent. */
  async down(props: HostLabDownProps = {}): Promise<void> {
    const t0 = Date.now();
    const state = readHostState(this.stateFile);
    const names = new Set([...Object.keys(state.hosts), ...this.plan.hosts.map((h) => h.name)]);
    // Helpers a killed bring-up left working on our files (a `cp -a` into a host copy, a debootstrap).
    for (const prefix of [`${this.hostsDir}/`, join(this.cacheDir, 'rootfs', '')]) {
      for (const pid of pidsWithArgumentUnder(prefix)) {
        const how = await terminate(pid, prefix, 5_000);
        if (how !== 'gone') this.log(`hosts: PID ${pid} still working under ${prefix} stopped (${how})`);
      }
    }
    for (const name of names) {
      const rec = state.hosts[name];
      const root = rec?.root ?? this.rootOf(name);
      const how = await stopContainer({
        name,
        root,
        nspawnPid: rec?.nspawnPid,
        leaderPid: rec?.leaderPid,
        graceMs: this.props.stopGraceMs,
        runner: this.run,
      });
      if (how !== 'not running') this.log(`hosts: ${name} stopped (${how})`);
      removeNspawnLeftovers(root, this.machineOf(name));
      // Loop devices outlive the container that attached them (a file-backed disk inside it).
      for (const dev of await detachLoopDevicesUnder(root, this.run)) this.log(`hosts: ${name}: loop device ${dev} detached`);
      const link = rec?.hostLink ?? this.plan.hosts.find((h) => h.name === name)?.hostLink;
      if (link && (await this.linkExists(link))) await ip(['link', 'del', link], undefined, this.run);
      rmSync(root, { recursive: true, force: true });
    }
    const marker = state.cache?.marker ?? join(this.cacheDir, 'apt-cache', 'conf');
    for (const pid of new Set([...(state.cache?.pid ? [state.cache.pid] : []), ...pidsWithArgument(marker)])) {
      const how = await terminate(pid, marker, 5_000);
      if (how !== 'gone') this.log(`hosts: package cache (PID ${pid}) stopped (${how})`);
    }
    const bridge = state.bridge ?? this.plan.bridge;
    if (await this.linkExists(bridge)) await ip(['link', 'del', bridge], undefined, this.run);
    rmSync(this.hostsDir, { recursive: true, force: true });
    if (props.purge) rmSync(this.cacheDir, { recursive: true, force: true });
    this.log(`hosts: down in ${Date.now() - t0} ms${props.purge ? ' (cache purged)' : ''}`);
  }

  /** Each planned host: whether its container runs, and systemd's state in it. */
  async status(): Promise<{ name: string; running: boolean; state?: string; failedUnits?: readonly string[]; pssKib?: number }[]> {
    const out = [];
    for (const h of this.plan.hosts) {
      const leader = this.leaderOf(h.name);
      if (leader === undefined) {
        out.push({ name: h.name, running: false });
        continue;
      }
      const s = await systemState(leader, this.run).catch(() => undefined);
      out.push({ name: h.name, running: true, state: s?.state, failedUnits: s?.failedUnits, pssKib: containerPssKib(leader) });
    }
    return out;
  }

  private readHostKey(root: string): string {
    const [type, body] = readFileSync(join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
    return `${type} ${body}`;
  }

  private async linkExists(name: string): Promise<boolean> {
    if (existsSync(`/sys/class/net/${name}`)) return true;
    const links = await ipJson<{ ifname: string }[]>(['link', 'show'], undefined, this.run).catch(() => []);
    return links.some((l) => l.ifname === name);
  }
}
