/**
 * `MetricsSource` on Nova: server diagnostics and os-hypervisors.
 *
 * Diagnostics are read in the format before 2.48, the driver's own dict (libvirt's
 * `get_diagnostics` in nova/virt/libvirt/driver.py), because only that one carries the guest's memory
 * use: `cpu<N>_time` (ns) per vCPU, `<disk>_read`…, `<iface>_rx`/`_tx` (bytes) …, `memory` (the
 * domain's maxMemory, KiB) and `memory-<stat>` for each of libvirt's virDomainMemoryStats. The 2.48
 * format's `memory_details` is the allocation (virDomainGetInfo's maxMem and memory), about 100 %
 * for every VM whatever the guest does.
 *
 * - CPU %: the delta of the vCPUs' time over the wall time between two readings. A VM's first
 *   reading has no delta: it is reported as missing (no action) until the second.
 * - Traffic: rx + tx byte deltas of the interfaces.
 * - RAM %: what the guest uses of what it has, from the virtio balloon's statistics:
 *   (`memory-available` − `memory-usable`) / `memory-available` (MemTotal and MemAvailable inside the
 *   guest; `memory-unused`, MemFree, where the guest reports no `usable`). Nova's libvirt driver
 *   turns the statistics on (`[libvirt] mem_stats_period_seconds`, default 10 s); a guest without
 *   the balloon driver reports none, and its `ramPct` is NaN with a warning, so the core leaves it
 *   alone ("metrics missing"). Other hypervisor drivers answer other keys: the same.
 * - Hosts: CPU % from the VMs' CPU, RAM % from `memory_mb_used / memory_mb` (what Nova has
 *   allocated on the host, reserved memory included).
 * - The dirty rate is not available from Nova: `dirtyBytesPerS` stays undefined and the core
 *   estimates it (docs/policy.md).
 */
import type { HostMetrics, MetricsReading, MetricsSource, VmMetrics } from './interfaces.js';
import type { NovaClient } from './nova-client.js';
import { hostNameOf, type NovaComputeApi } from './nova-compute.js';

/** The last microversion whose diagnostics are the driver's own dict, with the balloon statistics. */
export const LEGACY_DIAGNOSTICS_MICROVERSION = '2.47';

/** Diagnostics before 2.48: the hypervisor driver's keys and numbers. */
export type LegacyDiagnostics = Readonly<Record<string, number | string | null>>;

export const RAM_UNKNOWN_WARNING =
  'RAM use unknown: the diagnostics carry no balloon statistics (memory-available with memory-usable or memory-unused: a guest without the virtio balloon driver, or mem_stats_period_seconds 0); no action for it';

/**
 * One try, waiting longer than Nova's own RPC timeout (rpc_response_timeout, 60 s) for the compute's
 * answer: diagnostics are an RPC call to the server's compute, which can hold it (libvirt's balloon
 * statistics during a migration's end). A retry would only block another API worker on the same call.
 */
export const DIAGNOSTICS_CALL = { attempts: 1, timeoutMs: 75_000 } as const;

/** What one reading of a server's legacy diagnostics says. */
export interface DiagnosticsReading {
  readonly vcpus: number;
  readonly cpuNs: number;
  readonly netBytes: number;
  /** NaN when the guest reports no balloon statistics. */
  readonly ramPct: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads libvirt's legacy diagnostics (see the file's comment). */
export function readLegacyDiagnostics(d: LegacyDiagnostics): DiagnosticsReading {
  let vcpus = 0;
  let cpuNs = 0;
  let netBytes = 0;
  for (const [key, value] of Object.entries(d)) {
    const n = num(value);
    if (n === undefined) continue;
    if (/^cpu\d+_time$/.test(key)) {
      vcpus += 1;
      cpuNs += n;
    } else if (/_(rx|tx)$/.test(key)) netBytes += n;
  }
  const available = num(d['memory-available']);
  const free = num(d['memory-usable']) ?? num(d['memory-unused']);
  const ramPct = available && available > 0 && free !== undefined ? Math.min(100, Math.max(0, ((available - free) / available) * 100)) : Number.NaN;
  return { vcpus, cpuNs, netBytes, ramPct };
}

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
      if (s.taskState) {
        // A server Nova is working on (a live migration's end, a delete): its compute may hold the
        // domain and answer the diagnostics only when Nova's RPC has given up.
        warnings.push(`${s.id}: Nova task ${s.taskState} in progress; no action for it`);
        continue;
      }
      let d: DiagnosticsReading;
      try {
        d = readLegacyDiagnostics(
          await this.client.request<LegacyDiagnostics>('GET', `/servers/${encodeURIComponent(s.id)}/diagnostics`, undefined, {
            microversion: LEGACY_DIAGNOSTICS_MICROVERSION,
            needs: "the guest's memory use is only in the diagnostics' format before 2.48 (libvirt's balloon statistics)",
            ...DIAGNOSTICS_CALL,
          }),
        );
      } catch (err) {
        warnings.push(`${s.id}: no diagnostics (${(err as Error).message}); no action for it`);
        continue;
      }
      const at = this.now();
      const prev = this.previous.get(s.id);
      this.previous.set(s.id, { at, cpuNs: d.cpuNs, netBytes: d.netBytes });
      if (!prev || at <= prev.at || d.vcpus === 0) {
        warnings.push(`${s.id}: ${prev ? 'incomplete diagnostics' : 'first reading, no CPU delta yet'}; no action for it`);
        continue;
      }
      const dt = (at - prev.at) / 1000;
      if (Number.isNaN(d.ramPct)) ramUnknown += 1;
      vms.push({
        id: s.id,
        host: s.host,
        cpuPct: Math.min(100, Math.max(0, ((d.cpuNs - prev.cpuNs) / 1e9 / dt / d.vcpus) * 100)),
        ramPct: d.ramPct,
        netBytesPerS: Math.max(0, (d.netBytes - prev.netBytes) / dt),
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
