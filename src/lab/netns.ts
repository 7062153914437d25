/**
 * The lab's hosts phase: one network namespace per host, joined at layer 2.
 *
 * - The controller namespace holds the "switch": bridge `lab.bridge` with the controller's address.
 * - Each compute namespace has its own bridge of the same name (its VMs' taps plug into it) with the
 *   host's address, and a veth `uplink` to the controller's bridge (peer `v<host>` there). So all
 *   hosts and VMs share one L2 segment, and a VM keeps its address (and MAC) when it moves.
 * - Both ends of every compute link get `tc tbf rate <migration_bandwidth_mbit>mbit`, so a live
 *   migration is bound by the link (QEMU's own max-bandwidth does not limit the final stop-and-copy).
 * - Nothing is created in the root namespace: `down` deletes the namespaces, which removes every
 *   link, bridge, address and qdisc in them. It refuses while a process still lives in one.
 */
import { existsSync } from 'node:fs';
import { execaRunner, ip, ipJson, listNetns, netnsPids, tc, type Runner } from '../exec/index.js';
import type { LabHost, LabTopology } from '../config/index.js';

export interface LabNetworkProps {
  readonly topology: LabTopology;
  /** Shaped rate of each compute host's link. */
  readonly linkMbit: number;
  /** @default execaRunner */
  readonly runner?: Runner;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
}

/** The compute side of a link is always `uplink`; the controller side is `v<host name>`. */
export const UPLINK = 'uplink';
export function controllerPort(host: LabHost): string {
  return `v${host.name}`.slice(0, 15);
}

/** tbf needs a bucket of at least rate/HZ; keep it above one 64 KiB GSO segment. */
export function tbfArgs(linkMbit: number): string[] {
  const burstBytes = Math.max(131072, Math.ceil((linkMbit * 1e6) / 8 / 250));
  return ['tbf', 'rate', `${linkMbit}mbit`, 'burst', String(burstBytes), 'latency', '100ms'];
}

/** A topology whose namespaces and bridge carry another prefix (tests run beside a real lab with it). */
export function withPrefix(topology: LabTopology, prefix: string, bridge = `${prefix}br0`): LabTopology {
  const rename = (h: LabHost): LabHost => ({ ...h, netns: h.netns.replace(new RegExp(`^${topology.prefix}-`), `${prefix}-`) });
  return { ...topology, prefix, bridge, controller: rename(topology.controller), computes: topology.computes.map(rename) };
}

export function labHosts(topology: LabTopology): LabHost[] {
  return [topology.controller, ...topology.computes];
}

export interface HostStatus {
  readonly host: LabHost;
  readonly exists: boolean;
  readonly addressUp: boolean;
  /** Rate of the tbf qdisc on the host's link, bits/s (controller: undefined). */
  readonly shapedBitsPerS?: number;
  readonly pids: readonly number[];
}

interface IpLink {
  ifname: string;
  master?: string;
  operstate?: string;
  flags?: string[];
}

export class LabNetwork {
  readonly topology: LabTopology;
  readonly linkMbit: number;
  private readonly run: Runner;
  private readonly log: (line: string) => void;

  constructor(props: LabNetworkProps) {
    this.topology = props.topology;
    this.linkMbit = props.linkMbit;
    this.run = props.runner ?? execaRunner;
    this.log = props.log ?? (() => {});
  }

  /** Creates whatever is missing; running it twice changes nothing. */
  async up(): Promise<void> {
    const t0 = Date.now();
    const { controller, computes, bridge, prefixLength } = this.topology;
    const existing = new Set(await listNetns(this.run));
    for (const h of labHosts(this.topology)) {
      if (!existing.has(h.netns)) {
        this.log(`hosts: creating namespace ${h.netns}`);
        await ip(['netns', 'add', h.netns], undefined, this.run);
      }
      await ip(['link', 'set', 'lo', 'up'], h.netns, this.run);
      await this.ensureBridge(h.netns, bridge);
      await ip(['addr', 'replace', `${h.ip}/${prefixLength}`, 'dev', bridge], h.netns, this.run);
    }
    for (const h of computes) {
      const port = controllerPort(h);
      const links = await this.links(controller.netns);
      if (!links.has(port)) {
        this.log(`hosts: linking ${h.netns} to ${controller.netns} (${port} <-> ${UPLINK})`);
        // A half-made pair from an interrupted run: remove the compute end first.
        if ((await this.links(h.netns)).has(UPLINK)) await ip(['link', 'del', UPLINK], h.netns, this.run);
        await ip(['link', 'add', port, 'type', 'veth', 'peer', 'name', UPLINK, 'netns', h.netns], controller.netns, this.run);
      }
      await ip(['link', 'set', port, 'master', bridge, 'up'], controller.netns, this.run);
      await ip(['link', 'set', UPLINK, 'master', bridge, 'up'], h.netns, this.run);
      await tc(['qdisc', 'replace', 'dev', UPLINK, 'root', ...tbfArgs(this.linkMbit)], h.netns, this.run);
      await tc(['qdisc', 'replace', 'dev', port, 'root', ...tbfArgs(this.linkMbit)], controller.netns, this.run);
    }
    this.log(`hosts: up (${labHosts(this.topology).length} namespaces, links shaped to ${this.linkMbit} Mbit/s) in ${Date.now() - t0} ms`);
  }

  /** Deletes the lab's namespaces (and with them everything in them). Refuses while processes live there. */
  async down(): Promise<void> {
    const t0 = Date.now();
    const existing = new Set(await listNetns(this.run));
    const present = labHosts(this.topology).filter((h) => existing.has(h.netns));
    const busy: string[] = [];
    for (const h of present) {
      const pids = await netnsPids(h.netns, this.run);
      if (pids.length) busy.push(`${h.netns}: PIDs ${pids.join(', ')}`);
    }
    if (busy.length) {
      throw new LabHostsBusyError(busy);
    }
    // Compute namespaces first: deleting one removes its uplink and so the controller's port.
    for (const h of [...present].reverse()) {
      this.log(`hosts: deleting namespace ${h.netns}`);
      await ip(['netns', 'del', h.netns], undefined, this.run);
    }
    this.log(`hosts: down (${present.length} namespaces removed) in ${Date.now() - t0} ms`);
  }

  async status(): Promise<HostStatus[]> {
    const existing = new Set(await listNetns(this.run));
    const out: HostStatus[] = [];
    for (const h of labHosts(this.topology)) {
      if (!existing.has(h.netns)) {
        out.push({ host: h, exists: false, addressUp: false, pids: [] });
        continue;
      }
      const addrs = await ipJson<{ ifname: string; operstate: string; addr_info: { local: string }[] }[]>(
        ['addr', 'show', 'dev', this.topology.bridge],
        h.netns,
        this.run,
      ).catch(() => []);
      const addressUp = addrs.some((a) => a.addr_info.some((i) => i.local === h.ip));
      let shapedBitsPerS: number | undefined;
      if (h.role === 'compute') {
        const q = await tc(['-j', 'qdisc', 'show', 'dev', UPLINK], h.netns, this.run).catch(() => undefined);
        const parsed = q ? (JSON.parse(q.stdout || '[]') as { kind: string; options?: { rate?: number } }[]) : [];
        shapedBitsPerS = parsed.find((x) => x.kind === 'tbf')?.options?.rate;
        if (shapedBitsPerS !== undefined) shapedBitsPerS *= 8; // tc -j reports bytes/s
      }
      out.push({ host: h, exists: true, addressUp, shapedBitsPerS, pids: await netnsPids(h.netns, this.run) });
    }
    return out;
  }

  private async links(netns: string): Promise<Set<string>> {
    const list = await ipJson<IpLink[]>(['link', 'show'], netns, this.run);
    return new Set(list.map((l) => l.ifname));
  }

  private async ensureBridge(netns: string, bridge: string): Promise<void> {
    if (!(await this.links(netns)).has(bridge)) {
      await ip(['link', 'add', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], netns, this.run);
    }
    await ip(['link', 'set', bridge, 'up'], netns, this.run);
  }
}

/** `down` found processes in the lab's namespaces; it names them and kills none. */
export class LabHostsBusyError extends Error {
  constructor(readonly busy: readonly string[]) {
    super(
      `lab hosts: cannot remove namespaces that still hold processes:\n- ${busy.join('\n- ')}\n` +
        'Stop the phases that started them first (testbed lab vm stop --all, the Ceph and HAProxy phases).',
    );
    this.name = 'LabHostsBusyError';
  }
}

/** Whether a network namespace exists (iproute2 keeps named namespaces under /run/netns). */
export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}
