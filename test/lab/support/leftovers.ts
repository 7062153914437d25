/**
 * What a lab can leave behind on this machine, listed so a test can expect the list to be empty:
 * network namespaces, the container lab's bridge and veths (with their tc qdiscs), processes (the
 * containers' nspawn and everything in them name the lab's folder), mounts, loop devices and the
 * lab's data folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface LabFootprint {
  /** The lab's `lab.dir`. */
  readonly labDir: string;
  /** The testbed's name (`name` in the spec): its rendered files live under .testbed/<name>/. */
  readonly name: string;
  /** The container lab's links in this machine's namespace: its bridge, and host-side veths named `<prefix>-...`. */
  readonly links?: { readonly bridge: string; readonly prefix: string };
}

/** Links of this machine's namespace (with their tc qdiscs) that belong to the lab. */
export function labLinks(links: { bridge: string; prefix: string }): string[] {
  return spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n === links.bridge || n.startsWith(`${links.prefix}-`));
}

/** Lab network namespaces (the lab's names start with tb-). */
export function labNamespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith('tb-'));
}

/** Processes whose command line mentions the lab's folder or its rendered files, or that run inside one of its containers. */
export function labProcesses(lab: LabFootprint): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        // A process inside a container host has its root under the lab's folder.
        const root = readlinkSync(`/proc/${pid}/root`);
        return cmd.includes(lab.labDir) || cmd.includes(`.testbed/${lab.name}/`) || root.startsWith(`${lab.labDir}/`)
          ? [`${pid}: ${cmd.slice(0, 160)}${root === '/' ? '' : ` (root ${root})`}`]
          : [];
      } catch {
        return [];
      }
    });
}

/** Everything the lab left, one line each; empty when nothing is left. */
export function labLeftovers(lab: LabFootprint): string[] {
  return [
    ...labNamespaces().map((n) => `network namespace ${n}`),
    ...(lab.links ? labLinks(lab.links).map((n) => `link ${n}`) : []),
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
