/**
 * A literal transcription of the study's pseudo-code, the baseline of `npm run bench:policy`:
 * for each VM, classify it; on W1, scan every VM for the one with the lowest use, look its host up in
 * the host list, and migrate one way or the other. Same readings of the ambiguities as paper mode
 * (docs/policy.md), so its migrations equal `decide()`'s in paper mode (a test checks this); only the
 * data structures differ (linear scans instead of one sort and a map).
 *
 * Not used by the job: it exists to measure what the indexed core saves.
 */
import { classifyPaper } from './classify.js';
import type { ClusterSnapshot, VmView } from './interfaces.js';
import { UNKNOWN_DIRTY_BETA, type PolicySettings } from './settings.js';

const MIB = 1024 * 1024;

export interface LiteralMigration {
  readonly vmId: string;
  readonly from: string;
  readonly to: string;
}

export function decideLiteral(snapshot: ClusterSnapshot, s: PolicySettings): LiteralMigration[] {
  const hostUse = snapshot.hosts.map((h) => ({
    name: h.name,
    vcpus: h.vcpus,
    memoryMiB: h.memoryMiB,
    bw: h.migrationBytesPerS,
    cpu: h.cpuPct,
    ram: h.ramPct,
  }));
  // Bookkeeping that the pseudo-code leaves implicit (which VMs can be read, which already moved) is
  // done once with sets, so that the baseline measures the algorithm, not strawman bookkeeping.
  const moved = new Set<string>();
  const pinned = new Set<string>();
  const out: LiteralMigration[] = [];
  const isUsable = (v: VmView): boolean =>
    [v.cpuPct, v.ramPct, v.cpuAvgPct, v.ramAvgPct, v.netBytesPerS, v.memoryMiB, v.vcpus].every(Number.isFinite) &&
    (snapshot.now - v.sampledAt) / 1000 <= s.staleAfterS &&
    !v.migrating &&
    hostUse.find((h) => h.name === v.host) !== undefined;
  const stateOf = (v: VmView) => {
    const h = hostUse.find((x) => x.name === v.host)!;
    const bw = h.bw ?? s.migrationBytesPerS;
    const dirty = v.dirtyBytesPerS ?? UNKNOWN_DIRTY_BETA * bw;
    const beta = s.beta === 'auto' ? dirty / bw : s.beta;
    const vmnet = s.vmnetLimitMiB ?? v.memoryMiB * beta;
    return classifyPaper(
      {
        cpuPct: v.cpuPct,
        ramPct: v.ramPct,
        cpuAvgPct: v.cpuAvgPct,
        ramAvgPct: v.ramAvgPct,
        netMiB: (v.netBytesPerS * s.samplePeriodS) / MIB,
        vmnetMiB: vmnet,
      },
      s,
    ).state;
  };
  const readable = new Set(snapshot.vms.filter(isUsable));
  const usable = (v: VmView): boolean => readable.has(v);
  for (const vmj of snapshot.vms) {
    if (!usable(vmj) || stateOf(vmj) !== 1) continue; // WEIGHT W1 for VMj
    if (moved.has(vmj.id) || pinned.has(vmj.id)) continue;
    // "find the VM VMi with the lowest RAM or CPU use"
    let vmi: VmView | undefined;
    for (const v of snapshot.vms) {
      if (!usable(v) || v.host === vmj.host || moved.has(v.id)) continue;
      if (vmi === undefined || Math.min(v.cpuPct, v.ramPct) < Math.min(vmi.cpuPct, vmi.ramPct)) vmi = v;
    }
    if (!vmi) continue;
    const hi = hostUse.find((h) => h.name === vmi!.host)!;
    const hj = hostUse.find((h) => h.name === vmj.host)!;
    // "if the host's use with both VMs would exceed 70"
    const cpuBoth = hi.cpu + (vmj.cpuPct * vmj.vcpus) / hi.vcpus;
    const ramBoth = hi.ram + (vmj.ramPct * vmj.memoryMiB) / hi.memoryMiB;
    const [mover, from, to] = cpuBoth > s.high || ramBoth > s.high ? [vmi, hi, hj] : [vmj, hj, hi];
    if (mover === vmi && pinned.has(vmi.id)) continue;
    from.cpu -= (mover.cpuPct * mover.vcpus) / from.vcpus;
    from.ram -= (mover.ramPct * mover.memoryMiB) / from.memoryMiB;
    to.cpu += (mover.cpuPct * mover.vcpus) / to.vcpus;
    to.ram += (mover.ramPct * mover.memoryMiB) / to.memoryMiB;
    moved.add(mover.id);
    pinned.add(mover === vmi ? vmj.id : vmi.id);
    out.push({ vmId: mover.id, from: from.name, to: to.name });
  }
  return out;
}
