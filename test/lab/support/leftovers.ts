/**
 * What a lab can leave behind on this machine, listed so a test can expect the list to be empty:
 * network namespaces (which hold the lab's bridges, veths and tc qdiscs), processes, mounts, loop
 * devices and the lab's data folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export interface LabFootprint {
  /** The lab's `lab.dir`. */
  readonly labDir: string;
  /** The testbed's name (`name` in the spec): its rendered files live under .testbed/<name>/. */
  readonly name: string;
}

/** Lab network namespaces (the lab's names start with tb-). */
export function labNamespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith('tb-'));
}

/** Processes whose command line mentions the lab's folder or its rendered files. */
export function labProcesses(lab: LabFootprint): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return cmd.includes(lab.labDir) || cmd.includes(`.testbed/${lab.name}/`) ? [`${pid}: ${cmd.slice(0, 160)}`] : [];
      } catch {
        return [];
      }
    });
}

/** Everything the lab left, one line each; empty when nothing is left. */
export function labLeftovers(lab: LabFootprint): string[] {
  return [
    ...labNamespaces().map((n) => `network namespace ${n}`),
    ...labProcesses(lab).map((p) => `process ${p}`),
    ...readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes(lab.labDir))
      .map((l) => `mount ${l}`),
    ...spawnSync('losetup', ['-a'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(lab.labDir))
      .map((l) => `loop device ${l}`),
    ...(existsSync(lab.labDir) ? [`folder ${lab.labDir}`] : []),
  ];
}
