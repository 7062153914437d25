/**
 * One lab VM as QEMU processes in compute namespaces: the argv (pure), boot, stop (by PID, after
 * checking /proc/PID/cmdline), the per-host run files and the serial console.
 *
 * A VM keeps its name, index, MAC and address wherever it runs; each placement (`host`) has its own
 * QMP socket, serial socket, console log and PID file in `<lab.dir>/vms/<name>/`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { execaRunner, ip, netnsExec, type Runner } from '../exec/index.js';
import type { LabHost, LabTopology } from '../config/index.js';
import { QmpClient } from './qmp.js';

export const QEMU = 'qemu-system-x86_64';

export type DiskSource =
  | { readonly kind: 'file'; readonly path: string }
  /** An RBD image through QEMU's rbd driver (qemu-block-extra); `conf` is the lab's ceph.conf. */
  | { readonly kind: 'rbd'; readonly pool: string; readonly image: string; readonly conf: string; readonly id?: string };

export type Accel = 'kvm' | 'tcg';

export interface GuestLoad {
  /** Working set the dirtier writes, MiB (0: no memory load). */
  readonly wsMib: number;
  readonly rateMibS: number;
  /** Checksummed disk blocks written per second. */
  readonly diskOpsS: number;
  /**
   * The pattern region the guest fills at boot and checks, every byte, after each migration, MiB;
   * the working set is its first `wsMib`. @default - `DEFAULT_VERIFY_MEMORY_PCT` of the RAM
   */
  readonly verifyMib?: number;
  /** Blocks (4 KiB) of the checksummed ring the guest writes to its disk at boot and checks after each migration. @default DEFAULT_VERIFY_DISK_BLOCKS */
  readonly diskBlocks?: number;
  /** Random 4 KiB writes to the guest's disk during the migration (load `disk`). @default - none */
  readonly diskLoad?: GuestDiskLoad;
}

/** The guest's disk load (the spec's experiments.disk_load): random 4 KiB writes to a region after the ring. */
export interface GuestDiskLoad {
  /** Writes per second, all threads together. */
  readonly iops: number;
  /** Writes in flight at once (one writer thread each). */
  readonly queueDepth: number;
  /** `direct`: O_DIRECT writes; `fsync`: buffered writes, each followed by fdatasync. */
  readonly mode: 'direct' | 'fsync';
  /** Size of the region the writes land in, MiB (after the ring, 1 MiB aligned). */
  readonly regionMib: number;
}

/** Share of guest RAM the pattern covers when the caller does not say (the spec's experiments.verify.memory_pct). */
export const DEFAULT_VERIFY_MEMORY_PCT = 25;
/** Disk blocks in the checked ring when the caller does not say (the spec's experiments.verify.disk_blocks). */
export const DEFAULT_VERIFY_DISK_BLOCKS = 256;

/** MiB of a `ramMib` guest that `pct` percent of its RAM covers (at least 1). */
export function verifyMibFor(ramMib: number, pct: number): number {
  return Math.max(1, Math.floor((ramMib * pct) / 100));
}

export interface VmDefinition {
  readonly name: string;
  /** Address offset from the first VM address; also selects MAC, tap and migration port. */
  readonly index: number;
  readonly flavor: string;
  readonly ramMib: number;
  readonly vcpus: number;
  readonly disk: DiskSource;
  readonly load: GuestLoad;
  /** `a.b.c.d/len` inside lab.cidr. */
  readonly address: string;
  readonly mac: string;
}

/** Where a VM runs now: saved as `<lab.dir>/vms/<name>/vm.json`. */
export interface VmPlacement extends VmDefinition {
  readonly host: string;
  readonly netns: string;
  readonly pid: number;
  readonly accel: Accel;
  readonly qemuVersion: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly startedAt: number;
}

export interface QemuRuntime {
  readonly accel: Accel;
  /** e.g. 7.2.22 */
  readonly version: string;
  readonly major: number;
  /**
   * QEMU < 9 under TCG loses guest stores during migration (upstream fix 03bfc2188f). A RAM size that
   * is not a multiple of 256 KiB forces the slow dirty-bitmap path, which is correct but slower.
   */
  readonly ramPadKib: number;
}

export function vmMac(index: number): string {
  return `52:54:00:4c:${((index >> 8) & 255).toString(16).padStart(2, '0')}:${(index & 255).toString(16).padStart(2, '0')}`;
}

export function vmTap(index: number): string {
  return `tbtap${index}`;
}

export function migrationPort(index: number): number {
  return 49152 + index;
}

export function runFiles(labDir: string, vm: string, host: string) {
  const dir = join(labDir, 'vms', vm);
  return {
    dir,
    qmp: join(dir, `${host}.qmp`),
    serial: join(dir, `${host}.serial`),
    console: join(dir, `${host}.console.log`),
    pid: join(dir, `${host}.pid`),
    log: join(dir, `${host}.qemu.log`),
  };
}

export function driveSpec(disk: DiskSource): string {
  if (disk.kind === 'file') return `file=${disk.path},format=raw,if=none,id=disk0,cache=none,aio=threads`;
  // QEMU's rbd filename syntax escapes ':' inside values; lab paths have none.
  return `file=rbd:${disk.pool}/${disk.image}:conf=${disk.conf}:id=${disk.id ?? 'admin'},format=raw,if=none,id=disk0,cache=none`;
}

export function kernelCommandLine(vm: VmDefinition): string {
  return [
    'console=ttyS0',
    'quiet',
    'nokaslr',
    `tb.name=${vm.name}`,
    `tb.ip=${vm.address}`,
    `tb.ws_mib=${vm.load.wsMib}`,
    `tb.rate_mib_s=${vm.load.rateMibS}`,
    `tb.disk_ops_s=${vm.load.diskOpsS}`,
    `tb.verify_mib=${vm.load.verifyMib ?? verifyMibFor(vm.ramMib, DEFAULT_VERIFY_MEMORY_PCT)}`,
    `tb.disk_blocks=${vm.load.diskBlocks ?? DEFAULT_VERIFY_DISK_BLOCKS}`,
    ...(vm.load.diskLoad
      ? [
          `tb.dl_iops=${vm.load.diskLoad.iops}`,
          `tb.dl_qd=${vm.load.diskLoad.queueDepth}`,
          `tb.dl_mode=${vm.load.diskLoad.mode}`,
          `tb.dl_region_mib=${vm.load.diskLoad.regionMib}`,
        ]
      : []),
  ].join(' ');
}

/** The full QEMU argv (without the program). Source and incoming side differ only in `incoming`. */
export function qemuArgs(
  vm: VmDefinition,
  rt: QemuRuntime,
  image: { kernel: string; initrd: string },
  files: ReturnType<typeof runFiles>,
  options: { incoming?: boolean } = {},
): string[] {
  const mem = rt.ramPadKib ? `${vm.ramMib * 1024 + rt.ramPadKib}k` : String(vm.ramMib);
  return [
    '-name',
    `${vm.name},debug-threads=on`,
    '-machine',
    'pc',
    '-accel',
    rt.accel,
    '-m',
    mem,
    '-mem-prealloc',
    '-smp',
    String(vm.vcpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    kernelCommandLine(vm),
    '-chardev',
    `socket,id=ser0,path=${files.serial},server=on,wait=off,logfile=${files.console},logappend=on`,
    '-serial',
    'chardev:ser0',
    '-qmp',
    `unix:${files.qmp},server=on,wait=off`,
    '-drive',
    driveSpec(vm.disk),
    '-device',
    'virtio-blk-pci,drive=disk0',
    '-netdev',
    `tap,id=net0,ifname=${vmTap(vm.index)},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${vm.mac}`,
    '-pidfile',
    files.pid,
    '-D',
    files.log,
    // Timestamps on the trace events written to the log (src/lab/switchover-trace.ts), on the QMP events' clock.
    '-msg',
    'timestamp=on',
    '-daemonize',
    ...(options.incoming ? ['-incoming', 'defer'] : []),
  ];
}

/** QEMU's version and which accelerator to use (`auto`: KVM where /dev/kvm exists). */
export async function detectQemu(accel: 'auto' | Accel, run: Runner = execaRunner): Promise<QemuRuntime> {
  const r = await run(QEMU, ['--version']);
  const version = /version (\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1] ?? '0.0';
  const major = Number(version.split('.')[0]);
  // TESTBED_LAB_ACCEL overrides `auto`: on nested sandboxes /dev/kvm can open while guests hang at boot.
  const forced = process.env.TESTBED_LAB_ACCEL;
  const auto: Accel = forced === 'kvm' || forced === 'tcg' ? forced : existsSync('/dev/kvm') ? 'kvm' : 'tcg';
  const chosen: Accel = accel === 'auto' ? auto : accel;
  return { accel: chosen, version, major, ramPadKib: chosen === 'tcg' && major < 9 ? 4 : 0 };
}

/** Preflight: TCG needs QEMU ≥ 9 for correct migrations of a writing guest. Returns the problem, or undefined. */
export function qemuPreflightProblem(rt: QemuRuntime): string | undefined {
  if (rt.accel !== 'tcg' || rt.major >= 9) return undefined;
  return [
    `QEMU ${rt.version} under TCG loses guest writes during live migration (fixed in QEMU 9.0, upstream 03bfc2188f).`,
    'Install QEMU 10 from bookworm-backports (reuse the URI of your Debian entry in /etc/apt/sources.list.d/debian.sources):',
    "  printf 'Types: deb\\nURIs: <your Debian mirror URI>\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > /etc/apt/sources.list.d/backports.sources",
    '  apt-get update && apt-get install -y -t bookworm-backports qemu-system-x86 qemu-utils qemu-block-extra',
    `Until then the lab pads guest RAM by ${rt.ramPadKib} KiB (slow but correct dirty tracking); migration times are not comparable.`,
  ].join('\n');
}

/** The PID belongs to this VM's QEMU (guards every kill against PID reuse). */
export function isVmProcess(pid: number, qmpPath: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((a) => a.includes(QEMU)) && cmdline.some((a) => a.includes(qmpPath));
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

export async function ensureTap(host: LabHost, bridge: string, index: number, run: Runner = execaRunner): Promise<void> {
  const tap = vmTap(index);
  const exists = await ip(['link', 'show', 'dev', tap], host.netns, run).then(
    () => true,
    () => false,
  );
  if (!exists) await ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap'], host.netns, run);
  await ip(['link', 'set', tap, 'master', bridge, 'up'], host.netns, run);
}

export async function removeTap(host: LabHost, index: number, run: Runner = execaRunner): Promise<void> {
  await ip(['link', 'del', vmTap(index)], host.netns, run).catch(() => {});
}

export interface StartProps {
  readonly labDir: string;
  readonly topology: LabTopology;
  readonly host: LabHost;
  readonly vm: VmDefinition;
  readonly runtime: QemuRuntime;
  readonly image: { kernel: string; initrd: string };
  readonly incoming?: boolean;
  readonly runner?: Runner;
}

/** Starts QEMU (daemonized) in the host's namespace; returns its PID once its PID file exists. */
export async function startQemu(p: StartProps): Promise<number> {
  const run = p.runner ?? execaRunner;
  const files = runFiles(p.labDir, p.vm.name, p.host.name);
  mkdirSync(files.dir, { recursive: true });
  for (const f of [files.qmp, files.serial, files.console, files.pid, files.log]) rmSync(f, { force: true });
  await ensureTap(p.host, p.topology.bridge, p.vm.index, run);
  try {
    await netnsExec(p.host.netns, QEMU, qemuArgs(p.vm, p.runtime, p.image, files, { incoming: p.incoming }), { timeoutMs: 300_000 }, run);
  } catch (err) {
    await removeTap(p.host, p.vm.index, run);
    const log = existsSync(files.log) ? readFileSync(files.log, 'utf8').trim() : '';
    throw new Error(`QEMU for ${p.vm.name} on ${p.host.name} did not start: ${(err as Error).message}${log ? `\n${log}` : ''}`, { cause: err });
  }
  const pid = Number(readFileSync(files.pid, 'utf8').trim());
  if (!isVmProcess(pid, files.qmp)) throw new Error(`QEMU for ${p.vm.name} on ${p.host.name}: PID file names ${pid}, which is not that QEMU`);
  return pid;
}

/**
 * Stops one QEMU: QMP `quit`, then SIGTERM, then SIGKILL, each only after /proc/PID/cmdline shows it
 * is still this VM's QEMU. Removes its tap and run files.
 */
export async function stopQemu(
  labDir: string,
  vm: string,
  host: LabHost,
  index: number,
  pid: number | undefined,
  run: Runner = execaRunner,
): Promise<void> {
  const files = runFiles(labDir, vm, host.name);
  if (pid === undefined && existsSync(files.pid)) pid = Number(readFileSync(files.pid, 'utf8').trim());
  if (pid && isVmProcess(pid, files.qmp)) {
    try {
      const qmp = await QmpClient.connect(files.qmp, 2000);
      // A QEMU blocked on a storage cluster that is gone never answers: signals follow after 3 s.
      await qmp.execute('quit', undefined, 3000).catch(() => {});
      qmp.close();
    } catch {
      /* fall through to signals */
    }
    if (!(await waitGone(pid, 5000)) && isVmProcess(pid, files.qmp)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 5000)) && isVmProcess(pid, files.qmp)) process.kill(pid, 'SIGKILL');
      await waitGone(pid, 5000);
    }
  }
  await removeTap(host, index, run);
  for (const f of [files.qmp, files.serial, files.pid]) rmSync(f, { force: true });
}

/** The guest's serial console: lines come from the log file, commands go to the socket. */
export class SerialConsole {
  constructor(
    readonly socketPath: string,
    readonly logPath: string,
  ) {}

  size(): number {
    return existsSync(this.logPath) ? statSync(this.logPath).size : 0;
  }

  /** Log text from byte `from` on. */
  read(from = 0): string {
    if (!existsSync(this.logPath)) return '';
    const size = this.size();
    if (size <= from) return '';
    const fd = openSync(this.logPath, 'r');
    try {
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  async waitFor(pattern: RegExp, from: number, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.read(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`serial console ${this.logPath}: no ${pattern} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  send(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createConnection(this.socketPath, () => {
        s.end(`${line}\n`, () => resolve());
      });
      s.once('error', reject);
    });
  }
}

export interface GuestStat {
  readonly dirtyMibS: number;
  readonly diskSeq: number;
  readonly memTotalKib: number;
  readonly memAvailKib: number;
  readonly cpuBusyPct: number;
}

/** The dirtier's last `STAT` line in a console log text. */
export function lastGuestStat(text: string): GuestStat | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith('STAT '));
  const last = lines.at(-1);
  if (!last) return undefined;
  const kv = Object.fromEntries(
    last
      .split(' ')
      .slice(1)
      .map((p) => p.split('=') as [string, string]),
  );
  return {
    dirtyMibS: Number(kv.dirty_mib_s),
    diskSeq: Number(kv.disk_seq),
    memTotalKib: Number(kv.mem_total_kib),
    memAvailKib: Number(kv.mem_avail_kib),
    cpuBusyPct: Number(kv.cpu_busy_pct),
  };
}

/** What the guest's checker found: counts of what it checked and of what differed. */
export interface GuestVerification {
  /** Memory and disk both checked something and found nothing wrong. */
  readonly ok: boolean;
  /** Pages compared in full (4 KiB each) and how many differed. */
  readonly memPages: number;
  readonly memBad: number;
  /** Disk blocks (4 KiB) read back from the disk and how many differed; 0 checked when the guest has no disk. */
  readonly diskBlocks: number;
  readonly diskBad: number;
  /** Blocks of the disk load's region read back (every block it wrote) and how many differed; absent when the guest has no disk load. */
  readonly loadBlocks?: number;
  readonly loadBad?: number;
  /** The guest's own time for the memory and the disk check, ms (guest clock). */
  readonly guestMemMs: number;
  readonly guestDiskMs: number;
  /** Host wall time from the request to the result line, ms. */
  readonly wallMs: number;
  /** The RESULT line, without its id. */
  readonly line: string;
}

/** Parses the dirtier's `RESULT-<id> ...` line (without `RESULT-<id> `). Unknown or missing counts read as 0 checked. */
export function parseVerification(line: string, wallMs: number): GuestVerification {
  const kv = Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((p) => p.split('=') as [string, string]),
  ) as Record<string, string | undefined>;
  const num = (k: string) => {
    const v = Number(kv[k]);
    return Number.isFinite(v) ? v : 0;
  };
  const memPages = num('mem_pages');
  const diskBlocks = kv.disk === 'none' ? 0 : num('disk_blocks');
  const memBad = num('mem_bad');
  const diskBad = num('disk_bad');
  // The disk load's region (dl=ok|FAIL), when the guest runs one; dl=none or no dl field: no disk load.
  const load = kv.dl === 'ok' || kv.dl === 'FAIL' ? { loadBlocks: num('dl_blocks'), loadBad: num('dl_bad') } : undefined;
  const loadOk = !load || (kv.dl === 'ok' && load.loadBlocks > 0 && load.loadBad === 0);
  return {
    ok: kv.mem === 'ok' && kv.disk === 'ok' && memPages > 0 && diskBlocks > 0 && memBad === 0 && diskBad === 0 && loadOk,
    memPages,
    memBad,
    diskBlocks,
    diskBad,
    ...load,
    guestMemMs: num('mem_ms'),
    guestDiskMs: num('disk_ms'),
    wallMs,
    line: line.trim(),
  };
}

/** Why a verification is not a pass, in words (undefined when it passed). */
export function verificationProblem(v: GuestVerification): string | undefined {
  if (v.ok) return undefined;
  const parts: string[] = [];
  if (v.memPages === 0) parts.push('no memory pattern to check');
  else if (v.memBad > 0) parts.push(`${v.memBad} of ${v.memPages} pages differ`);
  if (v.diskBlocks === 0) parts.push('no disk blocks checked (no disk, or the ring could not be written)');
  else if (v.diskBad > 0) parts.push(`${v.diskBad} of ${v.diskBlocks} disk blocks differ`);
  if (v.loadBlocks === 0) parts.push('the disk load wrote no block to check');
  else if (v.loadBad) parts.push(`${v.loadBad} of ${v.loadBlocks} disk-load blocks differ`);
  return parts.length ? parts.join('; ') : v.line;
}

let nonce = Math.floor(Date.now() % 100000) * 10;

/** Asks the guest's dirtier to check every byte of its pattern pages and every block of its disk ring. */
export async function verifyGuest(console_: SerialConsole, timeoutMs = 60_000): Promise<GuestVerification> {
  const id = ++nonce;
  const from = console_.size();
  const t0 = Date.now();
  await console_.send(`echo ${id} > /tmp/verify.id; kill -USR1 $(cat /run/dirtier.pid)`);
  // A whole line only: the log may hold half of it while the guest writes it.
  const m = await console_.waitFor(new RegExp(`RESULT-${id} ([^\\r\\n]*)\\r?\\n`), from, timeoutMs);
  return parseVerification(m[1]!, Date.now() - t0);
}

/** Test hook: the guest flips one bit in the middle of pattern page `page` without telling its checker. */
export async function corruptGuestPage(console_: SerialConsole, page: number, timeoutMs = 10_000): Promise<void> {
  const from = console_.size();
  await console_.send(`echo ${page} > /tmp/corrupt.page; kill -USR2 $(cat /run/dirtier.pid)`);
  const m = await console_.waitFor(/CORRUPTED (\S+)/, from, timeoutMs);
  if (m[1] !== `page=${page}`) throw new Error(`guest did not corrupt page ${page}: ${m[0]}`);
}
