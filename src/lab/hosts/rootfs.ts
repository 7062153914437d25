/**
 * The container hosts' base rootfs: Debian built once with debootstrap, prepared, and cached under
 * `<rootfs dir>/<recipe hash>/`, so a changed recipe (packages, suite, mirror, preparation) builds
 * a new one and an unchanged one is reused. Hosts get a `cp -a` copy (see docs/lab-hosts.md for
 * why a copy rather than an overlay).
 *
 * Preparation (host-independent): an empty /etc/machine-id, systemd-networkd enabled, no SSH host
 * keys (each host gets its own), sshd on keys only, the apt sources of the mirrors. Per-host files
 * (address, hostname, apt proxy, keys) are written into each copy by `host-files.ts`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debootstrap, execaRunner, type Runner } from '../../exec/index.js';
import type { DebianMirrors } from './debian-mirrors.js';

/** What the rootfs is made of; its hash names the cached folder. */
export interface RootfsRecipe {
  readonly suite: string;
  readonly variant: string;
  readonly packages: readonly string[];
  readonly mirrors: DebianMirrors;
  /** Suites the hosts' apt sources list from the main archive. */
  readonly aptSuites: readonly string[];
}

/** Bump when `prepareRootfs` changes what it writes: the hash changes and the rootfs is rebuilt. */
const PREPARE_VERSION = 4;

/**
 * The base packages: systemd as PID 1, networkd, sshd, and what Ansible's modules need (python3,
 * python3-apt for `ansible.builtin.apt`).
 */
export const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'iproute2',
  'openssh-server',
  'python3',
  'python3-apt',
  'ca-certificates',
  'procps',
] as const;

export function defaultRecipe(mirrors: DebianMirrors, suite = 'bookworm'): RootfsRecipe {
  return { suite, variant: 'minbase', packages: BASE_PACKAGES, mirrors, aptSuites: [suite, `${suite}-updates`, `${suite}-backports`] };
}

export function recipeHash(r: RootfsRecipe): string {
  const canonical = JSON.stringify({
    v: PREPARE_VERSION,
    suite: r.suite,
    variant: r.variant,
    packages: [...r.packages].sort(),
    debian: r.mirrors.debian,
    security: r.mirrors.security ?? null,
    aptSuites: r.aptSuites,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** The hosts' /etc/apt/sources.list.d/debian.sources (deb822). Pure. */
export function aptSources(r: RootfsRecipe): string {
  const keyring = 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg';
  const stanzas = [`Types: deb\nURIs: ${r.mirrors.debian}\nSuites: ${r.aptSuites.join(' ')}\nComponents: main\n${keyring}\n`];
  if (r.mirrors.security) stanzas.push(`Types: deb\nURIs: ${r.mirrors.security}\nSuites: ${r.suite}-security\nComponents: main\n${keyring}\n`);
  return stanzas.join('\n');
}

export interface EnsureRootfsProps {
  /** Folder of cached rootfs builds, one subfolder per recipe hash. */
  readonly dir: string;
  readonly recipe: RootfsRecipe;
  /**
   * HTTP proxy for debootstrap's downloads (the lab's package cache, so a rebuild downloads nothing).
   * @default - straight from the mirror
   */
  readonly proxy?: string;
  /** @default execaRunner */
  readonly runner?: Runner;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

export interface Rootfs {
  readonly path: string;
  readonly hash: string;
  /** False when it was already cached. */
  readonly built: boolean;
  readonly buildMs?: number;
}

const COMPLETE = '.testbed-rootfs-complete';

/** The cached rootfs for this recipe, built (and older builds removed) if it is not there. */
export async function ensureRootfs(p: EnsureRootfsProps): Promise<Rootfs> {
  const run = p.runner ?? execaRunner;
  const log = p.log ?? (() => {});
  const hash = recipeHash(p.recipe);
  const path = join(p.dir, hash);
  if (existsSync(join(path, COMPLETE))) return { path, hash, built: false };
  const t0 = Date.now();
  const partial = `${path}.partial`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(path, { recursive: true, force: true });
  mkdirSync(p.dir, { recursive: true });
  log(`hosts: building the base rootfs ${hash} (debootstrap ${p.recipe.variant} ${p.recipe.suite}, ${p.recipe.packages.length} packages)`);
  await debootstrap({
    suite: p.recipe.suite,
    target: partial,
    mirror: p.recipe.mirrors.debian,
    variant: p.recipe.variant,
    include: p.recipe.packages,
    proxy: p.proxy,
    runner: run,
  });
  await prepareRootfs(partial, p.recipe, run);
  writeFileSync(join(partial, COMPLETE), `${JSON.stringify({ hash, recipe: p.recipe }, null, 2)}\n`);
  renameSync(partial, path);
  for (const old of readdirSync(p.dir)) {
    if (old !== hash && /^[0-9a-f]{16}(\.partial)?$/.test(old)) rmSync(join(p.dir, old), { recursive: true, force: true });
  }
  const buildMs = Date.now() - t0;
  log(`hosts: base rootfs ${hash} built in ${(buildMs / 1000).toFixed(1)} s`);
  return { path, hash, built: true, buildMs };
}

/** The host-independent preparation of a fresh debootstrap tree. */
async function prepareRootfs(root: string, recipe: RootfsRecipe, run: Runner): Promise<void> {
  // Empty: each host gets its own id in its copy; an empty file never leaks the build machine's.
  writeFileSync(join(root, 'etc/machine-id'), '');
  rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });
  await run('systemctl', [`--root=${root}`, 'enable', 'systemd-networkd.service']);
  for (const f of readdirSync(join(root, 'etc/ssh'))) if (f.startsWith('ssh_host_')) rmSync(join(root, 'etc/ssh', f));
  writeFileSync(
    join(root, 'etc/ssh/sshd_config.d/10-testbed.conf'),
    'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n',
  );
  rmSync(join(root, 'etc/apt/sources.list'), { force: true });
  writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), aptSources(recipe));
  writeFileSync(join(root, 'etc/apt/apt.conf.d/10-testbed-no-recommends'), 'APT::Install-Recommends "false";\n');
  // debootstrap's lists hold only the release suite, and they are new: Ansible's apt takes the lists
  // folder's mtime as the last update (cache_valid_time), so it would never fetch -updates, -backports
  // or -security. An old mtime makes the first real run update the lists through the package cache,
  // while a dry run (--check, which never updates) still finds the release's packages in them.
  utimesSync(join(root, 'var/lib/apt/lists'), 0, 0);
  rmSync(join(root, 'etc/hostname'), { force: true });
}
