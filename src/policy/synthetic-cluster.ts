/**
 * A seeded, synthetic cluster snapshot for the benchmark and the equivalence test: `vms` VMs spread
 * round-robin over `hosts` hosts (16 vCPUs, 64 GiB each), each VM 2 vCPUs and 2 GiB with a skewed
 * CPU/RAM mix so that every state occurs. Host use is the sum of its VMs' shares.
 */
import { seededRandom } from '../util/index.js';
import type { ClusterSnapshot, HostView, VmView } from './interfaces.js';

const MIB = 1024 * 1024;

export { seededRandom };

export function syntheticCluster(vms: number, hosts: number, seed = 1, now = Date.UTC(2026, 0, 1)): ClusterSnapshot {
  const rnd = seededRandom(seed);
  const hostCpu = new Array<number>(hosts).fill(0);
  const hostRam = new Array<number>(hosts).fill(0);
  const list: VmView[] = [];
  for (let k = 0; k < vms; k++) {
    const h = k % hosts;
    const cpu = Math.round(100 * rnd() ** 2 * 10) / 10;
    const ram = Math.round((10 + 80 * rnd()) * 10) / 10;
    const drift = rnd() < 0.1 ? 5 : -2;
    hostCpu[h]! += (cpu * 2) / 16;
    hostRam[h]! += (100 * 2048) / 65536;
    list.push({
      id: `vm-${String(k).padStart(5, '0')}`,
      host: `host-${String(h).padStart(4, '0')}`,
      cpuPct: cpu,
      ramPct: ram,
      cpuAvgPct: Math.max(0, cpu + drift),
      ramAvgPct: Math.max(0, ram + drift),
      netBytesPerS: rnd() * 64 * 1024,
      dirtyBytesPerS: rnd() * 16 * MIB,
      vcpus: 2,
      memoryMiB: 2048,
      sampledAt: now,
      createdByJob: false,
      migrating: false,
      ...(rnd() < 0.2 ? { antiAffinityGroup: `g${k % 7}` } : {}),
    });
  }
  const hostList: HostView[] = hostCpu.map((cpu, h) => ({
    name: `host-${String(h).padStart(4, '0')}`,
    usable: true,
    vcpus: 16,
    memoryMiB: 65536,
    cpuPct: cpu,
    ramPct: hostRam[h]!,
    migrationsInFlight: 0,
  }));
  return { now, hosts: hostList, vms: list, memory: { lastState: {}, cooldownUntil: {} }, lbReachable: true };
}
