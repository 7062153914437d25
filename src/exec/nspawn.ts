/**
 * systemd-nspawn, nsenter and debootstrap for the lab's container hosts: argv arrays only.
 *
 * The flags are the ones that work on this kind of machine (PID 1 not systemd, no machined, no
 * system bus, user namespaces unavailable): `--boot --register=no --keep-unit`, no `-U`.
 * See ../shared/docs/lab-openstack.md §1.
 */
import { execaRunner, type RunOptions, type Runner } from './runner.js';

export interface NspawnArgsProps {
  /** The container's root folder. */
  readonly directory: string;
  /** Machine name (also its hostname). */
  readonly machine: string;
  /**
   * More flags, e.g. `--capability=all` or `--bind=...`.
   * @default - none
   */
  readonly extra?: readonly string[];
}

/**
 * The argv (after `systemd-nspawn`) that boots a container with systemd as PID 1 and its own,
 * empty network namespace (the caller adds a veth to it). `--directory=` is one argument, so a
 * process can later be recognised by it.
 */
export function nspawnArgs(p: NspawnArgsProps): string[] {
  return [
    '--boot',
    '--register=no',
    '--keep-unit',
    `--directory=${p.directory}`,
    `--machine=${p.machine}`,
    '--private-network',
    // Its boot output goes to our log file; no terminal is needed.
    '--console=read-only',
    '--link-journal=no',
    '--resolv-conf=off',
    '--timezone=off',
    ...(p.extra ?? []),
  ];
}

/**
 * `nsenter -t LEADER -a -r -w FILE ARGS...`: runs a command in every namespace of a container, with
 * the leader's root and working directory. `-r -w` matter where systemd-nspawn itself ran inside a
 * chroot: the container's tree is then mounted at the chroot's path in a namespace whose root is the
 * machine's, so a command entering it with `-a` alone would run in the machine's tree.
 */
export function nsenter(leaderPid: number, file: string, args: readonly string[], options: RunOptions = {}, runner: Runner = execaRunner) {
  return runner('nsenter', nsenterArgs(leaderPid, file, args), options);
}

export function nsenterArgs(leaderPid: number, file: string, args: readonly string[]): string[] {
  return ['-t', String(leaderPid), '-a', '-r', '-w', file, ...args];
}

export interface DebootstrapProps {
  readonly suite: string;
  readonly target: string;
  readonly mirror: string;
  /** `--variant=` */
  readonly variant: string;
  readonly include: readonly string[];
  /**
   * HTTP proxy for the downloads (the lab's package cache).
   * @default - none
   */
  readonly proxy?: string;
  /** @default execaRunner */
  readonly runner?: Runner;
}

/** `debootstrap --variant=V --include=a,b SUITE TARGET MIRROR`. */
export function debootstrap(p: DebootstrapProps) {
  const args = [`--variant=${p.variant}`, `--include=${p.include.join(',')}`, p.suite, p.target, p.mirror];
  return (p.runner ?? execaRunner)('debootstrap', args, { env: p.proxy ? { http_proxy: p.proxy } : {}, timeoutMs: 20 * 60_000 });
}
