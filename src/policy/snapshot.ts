/**
 * Builds the core's `ClusterSnapshot` from one round of I/O: metrics, the compute API's servers and
 * hosts, the load balancer's read-back, and what the job remembers. `SampleWindow` keeps each VM's
 * readings over the interval t, for the averages Rmin and Cmin.
 */
import type {
  ClusterSnapshot,
  ComputeHost,
  HostView,
  LbServerRef,
  LbServerState,
  MetricsReading,
  PolicyMemory,
  Server,
  VmView,
} from './interfaces.js';

export class SampleWindow {
  private readonly samples = new Map<string, Array<{ at: number; cpu: number; ram: number }>>();
  constructor(private readonly intervalMs: number) {}

  add(reading: MetricsReading): void {
    for (const v of reading.vms) {
      const list = this.samples.get(v.id) ?? [];
      list.push({ at: v.sampledAt, cpu: v.cpuPct, ram: v.ramPct });
      this.samples.set(v.id, list);
    }
  }

  /** Averages over (now − t, now]; older samples are dropped. Undefined without samples. */
  average(id: string, now: number): { cpu: number; ram: number } | undefined {
    const list = (this.samples.get(id) ?? []).filter((s) => s.at > now - this.intervalMs);
    this.samples.set(id, list);
    if (list.length === 0) return undefined;
    return { cpu: list.reduce((a, s) => a + s.cpu, 0) / list.length, ram: list.reduce((a, s) => a + s.ram, 0) / list.length };
  }

  /** CPU samples in (now − t, now], oldest first: consolidate mode's forecast input (as the simulator gives it). */
  cpuHistory(id: string, now: number): number[] {
    return (this.samples.get(id) ?? []).filter((s) => s.at > now - this.intervalMs).map((s) => s.cpu);
  }
}

/** The job marks VMs it booted (safe mode destroys only those). */
export const CREATED_BY_JOB = { key: 'testbed-policy', value: 'created' } as const;

export interface SnapshotInput {
  readonly now: number;
  readonly reading: MetricsReading;
  readonly servers: readonly Server[];
  readonly hosts: readonly ComputeHost[];
  /** Undefined: the load balancer did not answer (or there is none). */
  readonly lb?: readonly LbServerState[];
  readonly lbReachable: boolean;
  readonly memory: PolicyMemory;
  readonly window: SampleWindow;
  /** Server ids with a migration in flight. */
  readonly migrating: ReadonlySet<string>;
}

/** Matches a server to its LB entry by address, then by name. */
function lbRef(server: Server, lb: readonly LbServerState[] | undefined): LbServerRef | undefined {
  const hit = lb?.find((s) => (server.ip !== undefined && s.address === server.ip) || s.server === server.name);
  return hit ? { backend: hit.backend, server: hit.server } : undefined;
}

export function buildSnapshot(i: SnapshotInput): { snapshot: ClusterSnapshot; warnings: string[] } {
  const warnings = [...i.reading.warnings];
  const servers = new Map(i.servers.map((s) => [s.id, s]));
  const vms: VmView[] = [];
  for (const m of i.reading.vms) {
    const s = servers.get(m.id);
    if (!s) {
      warnings.push(`${m.id}: metrics for a server the compute API does not list; ignored`);
      continue;
    }
    const avg = i.window.average(m.id, i.now) ?? { cpu: m.cpuPct, ram: m.ramPct };
    const lb = lbRef(s, i.lb);
    vms.push({
      id: m.id,
      host: m.host || s.host,
      cpuPct: m.cpuPct,
      ramPct: m.ramPct,
      cpuAvgPct: avg.cpu,
      ramAvgPct: avg.ram,
      cpuHistoryPct: i.window.cpuHistory(m.id, i.now),
      netBytesPerS: m.netBytesPerS,
      ...(m.dirtyBytesPerS === undefined ? {} : { dirtyBytesPerS: m.dirtyBytesPerS }),
      ...(m.dirtyRateSource === undefined ? {} : { dirtyRateSource: m.dirtyRateSource }),
      vcpus: s.vcpus,
      memoryMiB: s.memoryMiB,
      sampledAt: m.sampledAt,
      ...(lb ? { lb } : {}),
      ...(s.ip ? { ip: s.ip } : {}),
      createdByJob: s.metadata[CREATED_BY_JOB.key] === CREATED_BY_JOB.value,
      ...(s.antiAffinityGroup ? { antiAffinityGroup: s.antiAffinityGroup } : {}),
      migrating: i.migrating.has(m.id) || s.status === 'MIGRATING',
    });
  }
  const flights = new Map<string, number>();
  for (const v of vms) if (v.migrating) flights.set(v.host, (flights.get(v.host) ?? 0) + 1);
  const metricsByHost = new Map(i.reading.hosts.map((h) => [h.name, h]));
  const hosts: HostView[] = i.hosts.map((h) => {
    const m = metricsByHost.get(h.name);
    if (!m) warnings.push(`host ${h.name}: no metrics; it is not a migration target this cycle`);
    return {
      name: h.name,
      usable: h.usable && m !== undefined,
      vcpus: h.vcpus,
      memoryMiB: h.memoryMiB,
      cpuPct: m?.cpuPct ?? 100,
      ramPct: m?.ramPct ?? 100,
      ...(m?.migrationBytesPerS ? { migrationBytesPerS: m.migrationBytesPerS } : {}),
      migrationsInFlight: flights.get(h.name) ?? 0,
    };
  });
  return { snapshot: { now: i.now, hosts, vms, memory: i.memory, lbReachable: i.lbReachable }, warnings };
}
