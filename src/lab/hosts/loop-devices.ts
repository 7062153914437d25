/**
 * Loop devices a container left behind. Loop devices are the kernel's, not the container's: one
 * attached inside a host (a file-backed disk set up there) outlives the container. Its backing
 * file's name is recorded as the process that attached it saw it (`/root/disk.img` inside the
 * container, not `<root>/root/disk.img`), so a device is matched by its backing file's inode and
 * device number under the host's copy of the container's root, never by name alone.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { execaRunner, type Runner } from '../../exec/index.js';

export interface LoopDevice {
  /** `/dev/loopN` */
  readonly name: string;
  /** The backing file as recorded when it was attached. */
  readonly backFile: string;
  readonly backIno: number;
  /** The backing file's device, `major:minor`. */
  readonly backMajMin: string;
}

/** `losetup --list --json --output NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN`, parsed. Pure. */
export function parseLoopDevices(json: string): LoopDevice[] {
  const parsed = JSON.parse(json || '{"loopdevices":[]}') as { loopdevices?: Record<string, string | number | null>[] };
  return (parsed.loopdevices ?? []).map((d) => ({
    name: String(d.name),
    backFile: String(d['back-file'] ?? ''),
    backIno: Number(d['back-ino']),
    // losetup pads this column even in JSON ("     254:0  ").
    backMajMin: String(d['back-maj:min'] ?? '').trim(),
  }));
}

/** Linux's `major:minor` of a `st_dev` (new_encode_dev). */
export function majMin(dev: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
  return `${major}:${minor}`;
}

/** The devices whose backing file is a file under `root` (seen from the host or from inside). */
export function loopDevicesUnder(root: string, devices: readonly LoopDevice[]): LoopDevice[] {
  const base = root.replace(/\/+$/, '');
  return devices.filter((d) => {
    const file = d.backFile.replace(/ \(deleted\)$/, '');
    if (!file.startsWith('/')) return false;
    const candidates = file.startsWith(`${base}/`) ? [file, join(base, file)] : [join(base, file)];
    return candidates.some((path) => {
      try {
        const st = statSync(path);
        return st.isFile() && st.ino === d.backIno && majMin(st.dev) === d.backMajMin;
      } catch {
        return false;
      }
    });
  });
}

/** Detaches every loop device backed by a file under `root`; returns their names. */
export async function detachLoopDevicesUnder(root: string, runner: Runner = execaRunner): Promise<string[]> {
  const { stdout } = await runner('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN']);
  const ours = loopDevicesUnder(root, parseLoopDevices(stdout));
  for (const d of ours) await runner('losetup', ['--detach', d.name]);
  return ours.map((d) => d.name);
}
