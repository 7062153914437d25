/** Builders for the policy tests: a VM, a host, a snapshot and settings with the spec's defaults. */
import { validateSpec } from '../../src/config/load.js';
import type { ClusterSnapshot, HostView, VmView } from '../../src/policy/interfaces.js';
import { policyFromSpec, type PolicySettings } from '../../src/policy/settings.js';

export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIB = 1024 * 1024;

/** The spec's defaults, except the mode: safe unless `over` names one (most tests are about safe mode's rules). */
export function settings(over: Partial<PolicySettings> = {}): PolicySettings {
  return policyFromSpec(validateSpec({}).spec, { mode: 'safe', ...over });
}

export function vm(id: string, host: string, over: Partial<VmView> = {}): VmView {
  const cpu = over.cpuPct ?? 50;
  const ram = over.ramPct ?? 50;
  return {
    id,
    host,
    cpuPct: cpu,
    ramPct: ram,
    cpuAvgPct: cpu,
    ramAvgPct: ram,
    netBytesPerS: 0,
    dirtyBytesPerS: 1 * MIB,
    vcpus: 2,
    memoryMiB: 1024,
    sampledAt: NOW,
    createdByJob: false,
    migrating: false,
    ...over,
  };
}

export function host(name: string, over: Partial<HostView> = {}): HostView {
  return { name, usable: true, vcpus: 16, memoryMiB: 16384, cpuPct: 20, ramPct: 20, migrationsInFlight: 0, ...over };
}

export function snapshot(hosts: HostView[], vms: VmView[], over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return { now: NOW, hosts, vms, memory: { lastState: {}, cooldownUntil: {} }, lbReachable: true, ...over };
}
