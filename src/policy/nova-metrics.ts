/**
 * `MetricsSource` on Nova: server diagnostics (2.48 format) and os-hypervisors.
 *
 * - CPU %: the delta of the vCPUs' `time` (ns) over the wall time between two readings. A VM's first
 *   reading has no delta: it is reported as missing (no action) until the second.
 * - Traffic: rx + tx byte deltas of `nic_details`.
 * - RAM: **unknown**. With libvirt, `memory_details` is virDomainGetInfo's maxMem and memory, i.e. the
 *   domain's allocation (and the balloon's current target), divided by 2^20 and truncated to whole
 *   numbers (nova/virt/libvirt/driver.py get_instance_diagnostics): `used / maximum` is about 100 %
 *   for every VM, whatever the guest does. What the guest uses is only known inside the compute
 *   host (libvirt balloon statistics, `virsh dommemstat <domain>`: `available` − `usable`, with
 *   the virtio balloon's stats period set) or the guest (qemu-guest-agent); Nova exposes neither.
 *   So `ramPct` is NaN with a warning, and the core leaves such a VM alone ("metrics missing").
 * - Hosts: CPU % from the VMs' CPU, RAM % from `memory_mb_used / memory_mb` (what Nova has
 *   allocated on the host, reserved memory included).
 * - The dirty rate is not available from Nova: `dirtyBytesPerS` stays undefined and the core
 *   estimates it (docs/policy.md).
 */
import type { HostMetrics, MetricsReading, MetricsSource, VmMetrics } from './interfaces.js';
import type { NovaClient } from './nova-client.js';
import { hostNameOf, type NovaComputeApi } from './nova-compute.js';

interface Diagnostics {
  state?: string;
  num_cpus?: number;
  cpu_details?: Array<{ time?: number | null }>;
  nic_details?: Array<{ rx_octets?: number | null; tx_octets?: number | null }>;
  memory_details?: { maximum?: number | null; used?: number | null };
}

export const RAM_UNKNOWN_WARNING =
  "RAM use unknown: Nova's diagnostics report the domain's memory allocation (libvirt), not what the guest uses; no action for it";

export class NovaMetricsSource implements MetricsSource {
  private readonly previous = new Map<string, { at: number; cpuNs: number; netBytes: number }>();
  constructor(
    private readonly client: NovaClient,
    private readonly compute: NovaComputeApi,
    private readonly now: () => number = Date.now,
  ) {}

  async sample(): Promise<MetricsReading> {
    const [hyps, servers] = await Promise.all([this.compute.hypervisors(), this.compute.listServers()]);
    const warnings: string[] = [];
    const vms: VmMetrics[] = [];
    const takenAt = this.now();
    let ramUnknown = 0;
    for (const s of servers.filter((x) => x.status === 'ACTIVE')) {
      let d: Diagnostics;
      try {
        d = await this.client.request<Diagnostics>('GET', `/servers/${encodeURIComponent(s.id)}/diagnostics`);
      } catch (err) {
        warnings.push(`${s.id}: no diagnostics (${(err as Error).message}); no action for it`);
        continue;
      }
      const at = this.now();
      const cpuNs = (d.cpu_details ?? []).reduce((a, c) => a + (c.time ?? 0), 0);
      const netBytes = (d.nic_details ?? []).reduce((a, n) => a + (n.rx_octets ?? 0) + (n.tx_octets ?? 0), 0);
      const prev = this.previous.get(s.id);
      this.previous.set(s.id, { at, cpuNs, netBytes });
      if (!prev || at <= prev.at || !d.cpu_details?.length) {
        warnings.push(`${s.id}: ${prev ? 'incomplete diagnostics' : 'first reading, no CPU delta yet'}; no action for it`);
        continue;
      }
      const dt = (at - prev.at) / 1000;
      const ncpu = d.num_cpus ?? s.vcpus ?? 1;
      ramUnknown += 1;
      vms.push({
        id: s.id,
        host: s.host,
        cpuPct: Math.min(100, Math.max(0, ((cpuNs - prev.cpuNs) / 1e9 / dt / ncpu) * 100)),
        ramPct: Number.NaN,
        netBytesPerS: Math.max(0, (netBytes - prev.netBytes) / dt),
        sampledAt: at,
      });
    }
    if (ramUnknown > 0) warnings.push(`${ramUnknown} VM(s): ${RAM_UNKNOWN_WARNING}`);
    const cpuByHost = new Map<string, number>();
    for (const v of vms) {
      const s = servers.find((x) => x.id === v.id)!;
      cpuByHost.set(v.host, (cpuByHost.get(v.host) ?? 0) + (v.cpuPct * s.vcpus) / 100);
    }
    const hostMetrics: HostMetrics[] = hyps.map((j) => {
      const name = hostNameOf(j);
      return {
        name,
        vcpus: j.vcpus,
        memoryMiB: j.memory_mb,
        cpuPct: j.vcpus > 0 ? ((cpuByHost.get(name) ?? 0) / j.vcpus) * 100 : 0,
        ramPct: j.memory_mb > 0 ? (j.memory_mb_used / j.memory_mb) * 100 : 0,
        sampledAt: takenAt,
      };
    });
    return { takenAt, vms, hosts: hostMetrics, warnings };
  }
}
