/**
 * The lab's guest image, built offline from Debian packages:
 * - the kernel of `linux-image-amd64` (`apt-get download` + `dpkg -x`, never installed);
 * - an initramfs of busybox-static, the virtio modules (in dependency order), `guest/init` and the
 *   static `guest/dirtier` (gcc -static).
 * The result is cached in `<lab.dir>/guest/<key>/` where key hashes every input (kernel package
 * and version, busybox binary, the guest sources, the module list), so a second build is a lookup.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { execaRunner, type Runner } from '../exec/index.js';
import { newcArchive, type CpioEntry } from './cpio.js';
import { GUEST_MODULES, resolveGuestModules } from './kernel-modules.js';

export const KERNEL_META_PACKAGE = 'linux-image-amd64';
export const BUSYBOX = '/bin/busybox';
/** Bump when the image layout changes without any input changing. */
const IMAGE_FORMAT = 1;

export interface GuestImage {
  readonly key: string;
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly kernelPackage: string;
  readonly kernelVersion: string;
  readonly modules: readonly string[];
  /** The image was already in the cache. */
  readonly cached: boolean;
}

export interface GuestImageProps {
  /** `lab.dir` of the spec. */
  readonly labDir: string;
  /** Where guest/init and guest/dirtier.c live. @default the repository's guest/ */
  readonly sourceDir?: string;
  /** @default execaRunner */
  readonly runner?: Runner;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

export function defaultGuestSourceDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../guest');
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Which real kernel package the meta package points at, and its candidate version (apt's local cache; no network). */
export async function resolveKernelPackage(run: Runner): Promise<{ pkg: string; version: string }> {
  const deps = await run('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(deps.stdout)?.[1];
  if (!pkg) throw new Error(`guest image: apt-cache does not know ${KERNEL_META_PACKAGE}'s kernel; run apt-get update`);
  const show = await run('apt-cache', ['show', '--no-all-versions', pkg]);
  const version = /^Version:\s*(\S+)/m.exec(show.stdout)?.[1];
  if (!version) throw new Error(`guest image: apt-cache show ${pkg} gives no version`);
  return { pkg, version };
}

export function guestImageKey(parts: {
  kernelPkg: string;
  kernelVersion: string;
  busybox: Uint8Array;
  init: Uint8Array;
  dirtier: Uint8Array;
}): string {
  return sha256(
    JSON.stringify({
      format: IMAGE_FORMAT,
      kernel: `${parts.kernelPkg}=${parts.kernelVersion}`,
      busybox: sha256(parts.busybox),
      init: sha256(parts.init),
      dirtier: sha256(parts.dirtier),
      modules: GUEST_MODULES,
    }),
  ).slice(0, 16);
}

export async function buildGuestImage(props: GuestImageProps): Promise<GuestImage> {
  const run = props.runner ?? execaRunner;
  const log = props.log ?? (() => {});
  const src = props.sourceDir ?? defaultGuestSourceDir();
  const t0 = Date.now();
  const { pkg, version } = await resolveKernelPackage(run);
  const inputs = { busybox: readFileSync(BUSYBOX), init: readFileSync(join(src, 'init')), dirtier: readFileSync(join(src, 'dirtier.c')) };
  const key = guestImageKey({ kernelPkg: pkg, kernelVersion: version, ...inputs });
  const root = join(props.labDir, 'guest');
  const dir = join(root, key);
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Omit<GuestImage, 'cached'>;
    log(`guest: cached image ${key} (${pkg} ${version})`);
    return { ...m, cached: true };
  }

  const work = join(root, `build-${key}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    // 1. The kernel package, downloaded once into debs/ and unpacked (not installed).
    const debs = join(root, 'debs');
    mkdirSync(debs, { recursive: true });
    const debName = (f: string) => f.startsWith(`${pkg}_`) && f.endsWith('.deb') && f.includes(version.replace(/:/g, '%3a'));
    if (!readdirSync(debs).some(debName)) {
      log(`guest: downloading ${pkg} ${version}`);
      await run('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', `${pkg}=${version}`], { cwd: debs });
    }
    const deb = readdirSync(debs).find(debName);
    if (!deb) throw new Error(`guest image: apt-get download left no ${pkg} ${version} .deb in ${debs}`);
    const tree = join(work, 'kernel');
    await run('dpkg', ['-x', join(debs, deb), tree]);
    const boot = readdirSync(join(tree, 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`guest image: ${deb} has no boot/vmlinuz-*`);
    const kernelVersion = vmlinuz.slice('vmlinuz-'.length);
    const modules = resolveGuestModules(join(tree, 'lib/modules', kernelVersion));

    // 2. The in-guest program, static.
    log('guest: compiling dirtier (gcc -static)');
    const dirtier = join(work, 'dirtier');
    await run('gcc', ['-static', '-O2', '-Wall', '-o', dirtier, join(src, 'dirtier.c')]);

    // 3. The initramfs.
    const entries: CpioEntry[] = [
      ...['bin', 'sbin', 'etc', 'lib', 'lib/modules', 'proc', 'sys', 'dev', 'tmp', 'run', 'www'].map((path): CpioEntry => ({ type: 'dir', path })),
      { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
      { type: 'file', path: 'bin/busybox', data: inputs.busybox, mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'file', path: 'init', data: inputs.init, mode: 0o755 },
      { type: 'file', path: 'bin/dirtier', data: readFileSync(dirtier), mode: 0o755 },
      ...modules.map((m): CpioEntry => ({ type: 'file', path: `lib/modules/${m.name}.ko`, data: readFileSync(m.file) })),
      { type: 'file', path: 'etc/modules.order', data: Buffer.from(`${modules.map((m) => m.name).join('\n')}\n`) },
    ];
    const out = join(work, 'out');
    mkdirSync(out);
    copyFileSync(join(tree, 'boot', vmlinuz), join(out, 'vmlinuz'));
    writeFileSync(join(out, 'initrd.img'), gzipSync(newcArchive(entries)));
    const image: Omit<GuestImage, 'cached'> = {
      key,
      dir,
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      kernelPackage: `${pkg}=${version}`,
      kernelVersion,
      modules: modules.map((m) => m.name),
    };
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(image, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    log(`guest: built image ${key} (${pkg} ${version}, modules ${image.modules.join(' ')}) in ${Date.now() - t0} ms`);
    return { ...image, cached: false };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
