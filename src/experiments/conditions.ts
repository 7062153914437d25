/**
 * The conditions of a run, stored as `conditions.json` beside the results so that a number is
 * never read without knowing where it came from: accelerator, CPU, versions, link shaping,
 * the filesystem and disk under the lab, migration parameters, the spec's hash and the git commit.
 *
 * The parsers are pure; `collectLocalConditions` reads this machine through a `Runner` and `fs`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import type { Runner } from '../exec/index.js';
import { specHash, type TestbedSpec } from '../config/index.js';

export interface Conditions {
  readonly collected_at: string;
  readonly target: string;
  /** `kvm`, `tcg`, or `unknown` (a cloud run: what Nova's diagnostics say for its VMs, else unknown; never the client's /dev/kvm). */
  readonly accel: 'kvm' | 'tcg' | 'unknown';
  readonly cpu_model: string;
  readonly cpu_cores: number;
  readonly kernel: string;
  readonly qemu_version: string | null;
  readonly ceph_version: string | null;
  readonly libvirt_version: string | null;
  readonly nova_version: string | null;
  readonly fio_version: string | null;
  /** How the migration link is shaped, e.g. `tc tbf rate 1Gbit` (or the cloud's nominal link). */
  readonly link: { readonly mbit: number; readonly shaping: string };
  /** The filesystem under the lab dir (where Filestore OSDs keep their data) and its disk. */
  readonly storage: {
    readonly path: string;
    readonly fstype: string | null;
    readonly device: string | null;
    /** What the disk reports in /sys/block/<dev>/queue/rotational; null when unknown. */
    readonly rotational: boolean | null;
    readonly filestore_filesystem: string;
  };
  /** The spec's migration settings, plus what the hypervisor really ran with when the executor knows. */
  readonly migration: Readonly<Record<string, unknown>>;
  readonly spec_hash: string;
  readonly git_commit: string | null;
  /** True when the working tree had uncommitted changes. */
  readonly git_dirty: boolean | null;
  readonly node_version: string;
  /** Anything an executor wants a reader to know (e.g. "QEMU 7.2 under TCG: see lab-qemu.md"). */
  readonly notes: readonly string[];
}

export function parseCpuModel(cpuinfo: string): string | null {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m ? m[1]!.trim() : null;
}

/** `QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)` → `7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)`. */
export function parseQemuVersion(text: string): string | null {
  const m = /QEMU emulator version (\S+(?: \([^)]*\))?)/.exec(text);
  return m ? m[1]! : null;
}

/** `ceph version 16.2.15 (618f4...) pacific (stable)` → `16.2.15 pacific (stable)`. */
export function parseCephVersion(text: string): string | null {
  const m = /ceph version (\S+)(?: \([0-9a-f]+\))?\s*(.*)$/m.exec(text);
  return m ? `${m[1]}${m[2] ? ` ${m[2].trim()}` : ''}` : null;
}

export function parseFioVersion(text: string): string | null {
  const m = /fio-(\S+)/.exec(text);
  return m ? m[1]! : null;
}

/** `findmnt -n -o FSTYPE,SOURCE --target DIR` → fstype and source device. */
export function parseFindmnt(text: string): { fstype: string | null; device: string | null } {
  const [fstype, device] = text.trim().split(/\s+/);
  return { fstype: fstype || null, device: device || null };
}

/** The block device whose queue holds `rotational`: /dev/vda1 → vda, /dev/nvme0n1p2 → nvme0n1, /dev/loop3 → loop3. */
export function blockDeviceName(device: string): string | null {
  const m = /^\/dev\/([a-z0-9]+?)(p?\d+)?$/.exec(device);
  if (!m) return null;
  const name = device.slice(5);
  if (/^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) return name.replace(/p\d+$/, '');
  if (/^(nvme\d+n\d+|mmcblk\d+|loop\d+)$/.test(name)) return name;
  return name.replace(/\d+$/, '');
}

/** `tc qdisc show dev X` with a tbf → `tc tbf rate 1Gbit burst ...`; null without tbf. */
export function parseTbf(text: string): string | null {
  const line = text.split('\n').find((l) => /\bqdisc tbf\b/.test(l));
  if (!line) return null;
  const rate = /rate (\S+)/.exec(line)?.[1];
  const burst = /burst (\S+)/.exec(line)?.[1];
  return `tc tbf rate ${rate ?? '?'}${burst ? ` burst ${burst}` : ''}`;
}

export interface LocalConditionsProps {
  readonly runner: Runner;
  readonly spec: TestbedSpec;
  readonly target: string;
  /**
   * The accelerator the VMs really use, when the executor knows.
   * @default - lab: kvm where /dev/kvm exists, else tcg; cloud: unknown (this machine's /dev/kvm says nothing about the computes)
   */
  readonly accel?: 'kvm' | 'tcg' | 'unknown';
  /** The link as the executor read it back from tc. @default - the spec's bandwidth, `shaping: not read back` */
  readonly link?: { mbit: number; shaping: string };
  readonly migration?: Readonly<Record<string, unknown>>;
  readonly notes?: readonly string[];
  /** @default process.cwd() */
  readonly repoDir?: string;
}

async function tryRun(runner: Runner, file: string, args: readonly string[], cwd?: string): Promise<string | null> {
  try {
    const r = await runner(file, args, { cwd, timeoutMs: 10_000 });
    return `${r.stdout}${r.stderr}`;
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The accelerator when the executor does not say: this machine's /dev/kvm for the lab, unknown for anything else (a cloud's computes). */
export function defaultAccel(target: string, kvmExists: () => boolean = () => existsSync('/dev/kvm')): 'kvm' | 'tcg' | 'unknown' {
  if (target !== 'lab') return 'unknown';
  return kvmExists() ? 'kvm' : 'tcg';
}

/** Reads this machine's conditions (the lab's, or the client's side of a cloud run). Never throws for one missing tool. */
export async function collectLocalConditions(p: LocalConditionsProps): Promise<Conditions> {
  const { runner, spec } = p;
  const repoDir = p.repoDir ?? process.cwd();
  const labDir = existsSync(spec.lab.dir) ? spec.lab.dir : '/';
  const [qemu, ceph, fio, libvirt, nova, findmnt, commit, status] = await Promise.all([
    tryRun(runner, 'qemu-system-x86_64', ['--version']),
    tryRun(runner, 'ceph', ['--version']),
    tryRun(runner, 'fio', ['--version']),
    tryRun(runner, 'libvirtd', ['--version']),
    tryRun(runner, 'nova-compute', ['--version']),
    tryRun(runner, 'findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '--target', labDir]),
    tryRun(runner, 'git', ['rev-parse', 'HEAD'], repoDir),
    tryRun(runner, 'git', ['status', '--porcelain', '--untracked-files=no'], repoDir),
  ]);
  const mount = findmnt ? parseFindmnt(findmnt) : { fstype: null, device: null };
  const dev = mount.device ? blockDeviceName(mount.device) : null;
  const rot = dev ? readText(`/sys/block/${dev}/queue/rotational`) : null;
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  return {
    collected_at: new Date().toISOString(),
    target: p.target,
    accel: p.accel ?? defaultAccel(p.target),
    cpu_model: parseCpuModel(cpuinfo) ?? cpus()[0]?.model ?? 'unknown',
    cpu_cores: cpus().length,
    kernel: release(),
    qemu_version: qemu ? parseQemuVersion(qemu) : null,
    ceph_version: ceph ? parseCephVersion(ceph) : null,
    libvirt_version: libvirt?.match(/(\d+\.\d+\.\d+)/)?.[1] ?? null,
    nova_version: nova?.trim().split('\n')[0] || null,
    fio_version: fio ? parseFioVersion(fio) : null,
    link: p.link ?? { mbit: spec.network.migration_bandwidth_mbit, shaping: 'not read back' },
    storage: {
      path: labDir,
      fstype: mount.fstype,
      device: mount.device,
      rotational: rot === null ? null : rot.trim() === '1',
      filestore_filesystem: spec.ceph.filestore.filesystem,
    },
    migration: p.migration ?? { ...spec.live_migration },
    spec_hash: specHash(spec),
    git_commit: commit?.trim().match(/^[0-9a-f]{40}$/) ? commit.trim() : null,
    git_dirty: status === null ? null : status.trim().length > 0,
    node_version: process.version,
    notes: p.notes ?? [],
  };
}
