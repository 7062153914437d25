/**
 * One container host: systemd-nspawn booting a rootfs copy with systemd as PID 1 in its own network
 * namespace, a veth from the bridge into it, and the ways to wait for it, measure it and stop it.
 *
 * Identity, so nothing else is ever signalled: the nspawn process has `--directory=<root>` as an
 * argument; the container's PID 1 (the "leader", nspawn's child) has `TESTBED_HOST_ROOT=<root>` in its
 * environment (`--setenv`; /proc/PID/root reads "/" from here), and its processes share its PID namespace.
 * Killing nspawn with SIGKILL leaves the container running (it is reparented), and systemd as PID 1
 * ignores SIGTERM, so stopping goes: `systemctl poweroff` inside, SIGTERM to nspawn (which asks the
 * container to power off), then SIGKILL to the leader (which ends its whole PID namespace).
 */
import { readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execaRunner, ip, nsenter, nspawnArgs, tc, type Runner } from '../../exec/index.js';
import { tbfArgs } from './tbf.js';
import { CONTAINER_LINK } from './host-files.js';
import { childPids, cmdline, isOurs, logTail, spawnDetached, waitUntilGone } from './processes.js';

/** Linux's first real-time signal (glibc); systemd as PID 1 powers off on SIGRTMIN+4. */
const SIGRTMIN = 34;

export function nspawnMarker(root: string): string {
  return `--directory=${root}`;
}

/** Set in the environment of the container's PID 1 (`--setenv`), so the leader is found by it alone. */
export function leaderMarker(root: string): string {
  return `TESTBED_HOST_ROOT=${root}`;
}

function numericPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function pidNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is the live PID 1 of the container whose root is `root`: the marker in its
 * environment (systemd hands it on to the container's services too) and PID 1 in its own namespace.
 */
export function isLeaderOf(pid: number | undefined, root: string): pid is number {
  if (pid === undefined || cmdline(pid) === undefined) return false;
  if (!(readOr(`/proc/${pid}/environ`) ?? '').split('\0').includes(leaderMarker(root))) return false;
  const nspid = /^NSpid:\s+(.*)$/m
    .exec(readOr(`/proc/${pid}/status`) ?? '')?.[1]
    ?.trim()
    .split(/\s+/);
  return nspid !== undefined && nspid.length > 1 && nspid.at(-1) === '1';
}

/** The container's PID 1s (normally one; none once it is gone), whatever was recorded. */
export function leadersOf(root: string): number[] {
  return numericPids().filter((pid) => isLeaderOf(pid, root));
}

/** Every live process in the PID namespaces of the container's leaders. */
export function pidsInside(root: string): number[] {
  const namespaces = new Set(leadersOf(root).map(pidNs).filter(Boolean));
  if (namespaces.size === 0) return [];
  return numericPids().filter((pid) => namespaces.has(pidNs(pid)) && cmdline(pid) !== undefined);
}

/** Starts `systemd-nspawn --boot` detached; returns its PID. */
export function bootContainer(p: { root: string; machine: string; logFile: string; extraArgs?: readonly string[] }): number {
  const extra = [`--setenv=${leaderMarker(p.root)}`, ...(p.extraArgs ?? [])];
  return spawnDetached(['systemd-nspawn', ...nspawnArgs({ directory: p.root, machine: p.machine, extra })], p.logFile, {
    ...process.env,
    SYSTEMD_LOG_COLOR: '0',
  });
}

/** The container's PID 1: nspawn's child whose root is the container's. */
export async function waitForLeader(name: string, nspawnPid: number, root: string, logFile: string, timeoutMs = 15_000): Promise<number> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    const leader = childPids(nspawnPid).find((c) => isLeaderOf(c, root));
    if (leader) return leader;
    if (!isOurs(nspawnPid, nspawnMarker(root)))
      throw new ContainerBootError(name, 'systemd-nspawn exited before the container started', logTail(logFile));
    await sleep(50);
  }
  throw new ContainerBootError(name, `no container PID 1 under systemd-nspawn (PID ${nspawnPid}) after ${timeoutMs / 1000} s`, logTail(logFile));
}

export interface LinkProps {
  readonly leaderPid: number;
  readonly hostLink: string;
  readonly bridge: string;
  /**
   * Shape the host side (traffic into the container) with tc tbf at this rate.
   * @default - not shaped
   */
  readonly shapeMbit?: number;
  readonly runner?: Runner;
}

/** A veth `<hostLink>` on the bridge whose peer is `host0` inside the container; replaces a stale one. */
export async function attachLink(p: LinkProps): Promise<void> {
  const run = p.runner ?? execaRunner;
  await ip(['link', 'del', p.hostLink], undefined, run).catch(() => undefined);
  await ip(['link', 'add', p.hostLink, 'type', 'veth', 'peer', 'name', CONTAINER_LINK, 'netns', String(p.leaderPid)], undefined, run);
  await ip(['link', 'set', p.hostLink, 'master', p.bridge, 'up'], undefined, run);
  if (p.shapeMbit !== undefined) await tc(['qdisc', 'replace', 'dev', p.hostLink, 'root', ...tbfArgs(p.shapeMbit)], undefined, run);
}

export interface SystemState {
  readonly state: string;
  readonly failedUnits: readonly string[];
}

/** `systemctl show -p SystemState` (exit 0 in every state, unlike is-system-running) and the failed units. */
export async function systemState(leaderPid: number, runner: Runner = execaRunner): Promise<SystemState> {
  const s = await nsenter(leaderPid, 'systemctl', ['show', '--property=SystemState', '--value'], { timeoutMs: 10_000 }, runner);
  const f = await nsenter(leaderPid, 'systemctl', ['list-units', '--state=failed', '--plain', '--no-legend'], { timeoutMs: 10_000 }, runner);
  return {
    state: s.stdout.trim(),
    failedUnits: f.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean),
  };
}

/** Waits until systemd in the container reports `running` or `degraded`. */
export async function waitUntilRunning(p: {
  name: string;
  leaderPid: number;
  root: string;
  logFile: string;
  timeoutMs: number;
  runner?: Runner;
}): Promise<SystemState> {
  const until = Date.now() + p.timeoutMs;
  let last: SystemState = { state: 'unknown', failedUnits: [] };
  for (;;) {
    if (!isLeaderOf(p.leaderPid, p.root)) throw new ContainerBootError(p.name, 'the container stopped while booting', logTail(p.logFile));
    last = await systemState(p.leaderPid, p.runner).catch(() => last);
    if (last.state === 'running' || last.state === 'degraded') return last;
    if (Date.now() >= until) break;
    await sleep(250);
  }
  const jobs = await nsenter(p.leaderPid, 'systemctl', ['list-jobs', '--plain', '--no-legend'], { timeoutMs: 10_000 }, p.runner)
    .then((r) => r.stdout.trim())
    .catch(() => '');
  throw new ContainerBootError(
    p.name,
    `systemd did not reach running or degraded within ${p.timeoutMs / 1000} s; state "${last.state}", failed units: ${last.failedUnits.join(', ') || 'none'}` +
      (jobs ? `; jobs still queued:\n${jobs}` : ''),
    logTail(p.logFile),
  );
}

/** Proportional set size of the container's processes (those in its PID namespace), KiB. */
export function containerPssKib(leaderPid: number): number {
  const ns = pidNs(leaderPid);
  let total = 0;
  for (const pid of numericPids()) {
    if (ns === undefined || pidNs(pid) !== ns) continue;
    const m = /^Pss:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/smaps_rollup`) ?? '');
    total += m ? Number(m[1]) : 0;
  }
  return total;
}

export interface StopProps {
  readonly name: string;
  readonly root: string;
  readonly nspawnPid?: number;
  readonly leaderPid?: number;
  /** Time for each gentle step (poweroff, then SIGTERM) before the next. @default 20000 */
  readonly graceMs?: number;
  readonly runner?: Runner;
}

/** Stops the container by its recorded PIDs and by what runs in its root; resolves when nothing does. */
export async function stopContainer(p: StopProps): Promise<'not running' | 'powered off' | 'terminated' | 'killed'> {
  const grace = p.graceMs ?? 20_000;
  const marker = nspawnMarker(p.root);
  const nspawns = () => [...new Set([...(isOurs(p.nspawnPid, marker) ? [p.nspawnPid] : []), ...pidsWithDirectory(p.root)])];
  const leaders = () => leadersOf(p.root);
  const alive = () => nspawns().length > 0 || leaders().length > 0;
  if (!alive()) return 'not running';

  const leader = isLeaderOf(p.leaderPid, p.root) ? p.leaderPid : leaders()[0];
  if (leader !== undefined) {
    // Early in boot systemctl may not answer yet; then go on to the next step at once.
    const asked = await nsenter(leader, 'systemctl', ['poweroff', '--no-block'], { timeoutMs: 10_000 }, p.runner).then(
      () => true,
      () => false,
    );
    if (asked && (await waitUntilGone(alive, grace))) return 'powered off';
  }
  // nspawn turns SIGTERM into an orderly poweroff; a container whose nspawn is gone gets systemd's
  // own poweroff signal, SIGRTMIN+4, at its PID 1.
  const parents = nspawns();
  for (const pid of parents) process.kill(pid, 'SIGTERM');
  if (parents.length === 0) for (const pid of leaders()) process.kill(pid, SIGRTMIN + 4);
  if (await waitUntilGone(alive, grace)) return 'terminated';
  for (const pid of [...leaders(), ...nspawns()]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (!(await waitUntilGone(alive, 10_000)))
    throw new Error(`lab hosts: ${p.name}: processes still run in ${p.root} after SIGKILL: ${pidsInside(p.root).join(', ')}`);
  return 'killed';
}

function pidsWithDirectory(root: string): number[] {
  const marker = nspawnMarker(root);
  return numericPids().filter((pid) => (readOr(`/proc/${pid}/cmdline`) ?? '').split('\0').includes(marker));
}

/**
 * What systemd-nspawn leaves on the host after a container it ran was killed: its lock files
 * (`.#<dir>.lck` beside the root, `/run/systemd/nspawn/locks/inode-<dev>:<ino>`) and its mount
 * propagation folder `/run/systemd/nspawn/propagate/<machine>`. Removes them; call only when the
 * container no longer runs.
 */
export function removeNspawnLeftovers(root: string, machine: string): void {
  try {
    const st = statSync(root);
    rmSync(`/run/systemd/nspawn/locks/inode-${st.dev}:${st.ino}`, { force: true });
  } catch {
    // root already gone
  }
  const slash = root.lastIndexOf('/');
  rmSync(`${root.slice(0, slash)}/.#${root.slice(slash + 1)}.lck`, { force: true });
  rmSync(`/run/systemd/nspawn/propagate/${machine}`, { recursive: true, force: true });
}

/** A container did not boot: names the host, what went wrong and the end of its console log. */
export class ContainerBootError extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
    readonly logTailText: string,
  ) {
    super(`lab hosts: ${host} did not boot: ${reason}\nthe end of its console log:\n${logTailText}`);
    this.name = 'ContainerBootError';
  }
}
