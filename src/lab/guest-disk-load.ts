/**
 * The guest's disk load (loads `disk` and `memory+disk`), seen from the host: guest/dirtier.c writes
 * 4 KiB blocks at random offsets of its disk and keeps, per phase, every write's latency. The host
 * switches the phase over the serial console (`before` the migration, `during` it, `after` it) and
 * reads the three phases back as one `DISKLOAD-<id>` line.
 *
 * Latencies are the guest's own clock around pwrite (+ fdatasync in `fsync` mode). Under TCG the
 * guest clock stops while the VM is stopped, so a write held across the switchover shows the time
 * the guest ran, not the downtime; the downtime is in the record's own fields.
 */
import { DISK_LOAD_PHASES, type DiskIoPhase, type DiskIoReport, type DiskLoadPhase } from '../experiments/index.js';
import type { SerialConsole } from './qemu.js';

export { DISK_LOAD_PHASES, type DiskIoPhase, type DiskIoReport, type DiskLoadPhase };

/** Parses a `DISKLOAD-<id> ...` line (without `DISKLOAD-<id> `); undefined for `none` (the guest has no disk load). */
export function parseDiskLoadReport(line: string): DiskIoReport | undefined {
  const text = line.trim();
  if (text === 'none') return undefined;
  const kv = new Map(text.split(/\s+/).map((p) => p.split('=') as [string, string]));
  const num = (k: string): number => {
    const v = Number(kv.get(k));
    if (kv.get(k) === undefined || !Number.isFinite(v)) throw new Error(`guest disk load report: no number for "${k}" in "${text}"`);
    return v;
  };
  const phase = (p: DiskLoadPhase): DiskIoPhase => ({
    seconds: num(`${p}_s`),
    writes: num(`${p}_n`),
    iops: num(`${p}_iops`),
    mib_s: num(`${p}_mib_s`),
    lat_mean_ms: num(`${p}_lat_mean_ms`),
    lat_p99_ms: num(`${p}_lat_p99_ms`),
    lat_max_ms: num(`${p}_lat_max_ms`),
  });
  const mode = kv.get('mode');
  if (mode !== 'direct' && mode !== 'fsync') throw new Error(`guest disk load report: mode "${mode}" is neither direct nor fsync in "${text}"`);
  return {
    mode,
    queue_depth: num('qd'),
    target_iops: num('target_iops'),
    errors: num('errors'),
    before: phase('before'),
    during: phase('during'),
    after: phase('after'),
  };
}

let nonce = Math.floor(Date.now() % 100000) * 10 + 5;

async function control(console_: SerialConsole, command: string): Promise<void> {
  await console_.send(`echo ${command} > /tmp/dl.ctl; kill -HUP $(cat /run/dirtier.pid)`);
}

/** Starts `phase` in the guest (its counters from zero) and waits until the guest says so. */
export async function setDiskLoadPhase(console_: SerialConsole, phase: DiskLoadPhase, timeoutMs = 15_000): Promise<void> {
  const from = console_.size();
  await control(console_, `phase ${phase}`);
  // Whole lines only: the log may hold half a line while the guest writes it.
  const m = await console_.waitFor(new RegExp(`DLPHASE ${phase} (\\S+)\\r?\\n`), from, timeoutMs);
  if (m[1] !== 'ok') throw new Error(`guest disk load: phase ${phase}: ${m[0]}`);
}

/** The guest's three phases so far. */
export async function readDiskLoadReport(console_: SerialConsole, timeoutMs = 15_000): Promise<DiskIoReport | undefined> {
  const id = ++nonce;
  const from = console_.size();
  await control(console_, `report ${id}`);
  const m = await console_.waitFor(new RegExp(`DISKLOAD-${id} ([^\\r\\n]*)\\r?\\n`), from, timeoutMs);
  return parseDiskLoadReport(m[1]!);
}
