/**
 * The lab driver: the policy job's `ComputeApi` and `MetricsSource` over the lab's QEMU VMs, as the
 * Nova driver does over OpenStack. Server ids are the lab VM names; hosts are the compute namespaces.
 * - CPU: the QEMU process's utime+stime deltas (/proc/PID/stat) per vCPU;
 * - RAM: the guest's own report (dirtier STAT line: MemTotal − MemAvailable);
 * - network: the VM's tap counters; dirty rate: the guest's report, or QEMU's `calc-dirty-rate` on request.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ipJson } from '../exec/index.js';
import type {
  BootRequest,
  ComputeApi,
  ComputeHost,
  HostMetrics,
  MetricsReading,
  MetricsSource,
  MigrationHandle,
  MigrationStatus,
  Server,
  VmMetrics,
} from '../policy/index.js';
import { migrateVm, type LiveMigrationSettings } from './migrate.js';
import type { MigrationRecord } from '../experiments/index.js';
import { lastGuestStat, runFiles, vmTap, type VmPlacement } from './qemu.js';
import { QmpClient } from './qmp.js';
import type { LabVms } from './vms.js';
import { netnsExists } from './netns.js';

export interface LabDriverProps {
  readonly vms: LabVms;
  readonly settings: LiveMigrationSettings;
  readonly linkMbit: number;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

interface InFlight {
  readonly handle: MigrationHandle;
  readonly abort: AbortController;
  record?: MigrationRecord;
  error?: string;
}

const CLK_TCK = 100;

/** utime + stime of a process, in seconds. */
export function processCpuSeconds(statLine: string): number {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of /proc/PID/stat
}

export class LabDriver implements ComputeApi, MetricsSource {
  private readonly vms: LabVms;
  private readonly settings: LiveMigrationSettings;
  private readonly linkMbit: number;
  private readonly log: (line: string) => void;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly prevCpu = new Map<string, { at: number; cpuS: number }>();
  private readonly prevNet = new Map<string, { at: number; bytes: number }>();
  private prevHostCpu?: { busy: number; all: number };
  /** Every finished migration, in order (the experiments read these). */
  readonly records: MigrationRecord[] = [];

  constructor(props: LabDriverProps) {
    this.vms = props.vms;
    this.settings = props.settings;
    this.linkMbit = props.linkMbit;
    this.log = props.log ?? (() => {});
  }

  async listHosts(): Promise<readonly ComputeHost[]> {
    return this.vms.topology.computes.map((h) => ({
      name: h.name,
      usable: netnsExists(h.netns),
      vcpus: cpus().length,
      memoryMiB: Math.floor(totalmem() / 1048576),
    }));
  }

  async listServers(): Promise<readonly Server[]> {
    const migrating = new Set([...this.inFlight.values()].filter((f) => !f.record && !f.error).map((f) => f.handle.serverId));
    return this.vms.list().map((v) => ({
      id: v.name,
      name: v.name,
      host: v.host,
      status: migrating.has(v.name) ? 'MIGRATING' : this.vms.running(v) ? 'ACTIVE' : 'SHUTOFF',
      vcpus: v.vcpus,
      memoryMiB: v.ramMib,
      ip: v.address.split('/')[0],
      metadata: this.metadata(v.name),
    }));
  }

  async liveMigrate(serverId: string, targetHost: string): Promise<MigrationHandle> {
    const vm = this.vms.get(serverId);
    this.vms.host(targetHost);
    const handle: MigrationHandle = { serverId, migrationId: randomUUID(), sourceHost: vm.host, targetHost, startedAt: Date.now() };
    const flight: InFlight = { handle, abort: new AbortController() };
    this.inFlight.set(handle.migrationId!, flight);
    migrateVm({
      vms: this.vms,
      name: serverId,
      target: targetHost,
      settings: this.settings,
      linkMbit: this.linkMbit,
      signal: flight.abort.signal,
      log: this.log,
    }).then(
      (r) => {
        flight.record = r;
        this.records.push(r);
      },
      (e: Error) => {
        flight.error = e.message;
      },
    );
    return handle;
  }

  async pollMigration(handle: MigrationHandle): Promise<MigrationStatus> {
    const f = this.inFlight.get(handle.migrationId ?? '');
    if (!f) return { handle, state: 'failed', error: `lab: unknown migration ${handle.migrationId}` };
    if (f.error) return { handle, state: 'failed', error: f.error, finishedAt: Date.now() };
    if (!f.record) return { handle, state: 'running' };
    const r = f.record;
    const state = r.status === 'completed' ? 'completed' : r.status === 'cancelled' ? 'aborted' : 'failed';
    return {
      handle,
      state,
      memoryProcessedBytes: r.transferred_bytes,
      memoryRemainingBytes: 0,
      finishedAt: handle.startedAt + r.total_ms,
      ...(r.reason ? { error: r.reason } : {}),
    };
  }

  async abortMigration(handle: MigrationHandle): Promise<void> {
    this.inFlight.get(handle.migrationId ?? '')?.abort.abort();
  }

  async bootServer(request: BootRequest): Promise<Server> {
    const like = this.vms.get(request.likeServerId);
    if (like.disk.kind !== 'file') {
      throw new Error(
        `lab: cannot boot "${request.name}" like "${like.name}": its disk is RBD ${like.disk.pool}/${like.disk.image}; create an image for it first (the Ceph phase owns images)`,
      );
    }
    const disks = join(this.vms.labDir, 'disks');
    mkdirSync(disks, { recursive: true });
    const path = join(disks, `${request.name}.raw`);
    execFileSync('truncate', ['-s', String(Math.max(64, 1) * 1048576), path]);
    const vm = await this.vms.boot({
      name: request.name,
      host: like.host,
      flavor: like.flavor,
      ramMib: like.ramMib,
      vcpus: like.vcpus,
      disk: { kind: 'file', path },
      load: like.load,
    });
    writeFileSync(join(this.vms.labDir, 'vms', vm.name, 'metadata.json'), JSON.stringify(request.metadata));
    return (await this.listServers()).find((s) => s.id === vm.name)!;
  }

  async deleteServer(serverId: string): Promise<void> {
    await this.vms.stop(serverId);
  }

  async sample(): Promise<MetricsReading> {
    const takenAt = Date.now();
    const warnings: string[] = [];
    const vms: VmMetrics[] = [];
    for (const v of this.vms.list()) {
      try {
        vms.push(await this.vmMetrics(v, takenAt));
      } catch (e) {
        warnings.push(`${v.name}: ${(e as Error).message}`);
      }
    }
    const hostCpu = this.hostCpuPct();
    const hosts: HostMetrics[] = this.vms.topology.computes.map((h) => {
      const allocated = vms.filter((v) => v.host === h.name).reduce((acc, v) => acc + this.vms.get(v.id).ramMib, 0);
      return {
        name: h.name,
        vcpus: cpus().length,
        memoryMiB: Math.floor(totalmem() / 1048576),
        cpuPct: hostCpu,
        ramPct: (100 * allocated) / (totalmem() / 1048576),
        migrationBytesPerS: (this.linkMbit * 1e6) / 8,
        sampledAt: takenAt,
      };
    });
    return { takenAt, vms, hosts, warnings };
  }

  /** QEMU's own estimate (calc-dirty-rate over `seconds`), bytes/s. Not during a migration. */
  async qemuDirtyRate(name: string, seconds = 1): Promise<number> {
    const v = this.vms.get(name);
    const qmp = await QmpClient.connect(runFiles(this.vms.labDir, v.name, v.host).qmp, 2000);
    try {
      await qmp.execute('calc-dirty-rate', { 'calc-time': seconds });
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        const q = await qmp.execute<{ status: string; 'dirty-rate'?: number }>('query-dirty-rate');
        if (q.status === 'measured') return (q['dirty-rate'] ?? 0) * 1048576;
      }
    } finally {
      qmp.close();
    }
  }

  private metadata(name: string): Record<string, string> {
    const f = join(this.vms.labDir, 'vms', name, 'metadata.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, string>) : {};
  }

  private async vmMetrics(v: VmPlacement, at: number): Promise<VmMetrics> {
    if (!this.vms.running(v)) throw new Error(`QEMU PID ${v.pid} is not running`);
    const cpuS = processCpuSeconds(readFileSync(`/proc/${v.pid}/stat`, 'utf8'));
    const prev = this.prevCpu.get(v.name);
    this.prevCpu.set(v.name, { at, cpuS });
    const cpuPct = prev && at > prev.at ? Math.min(100, (100 * (cpuS - prev.cpuS)) / ((at - prev.at) / 1000) / v.vcpus) : 0;
    const stat = lastGuestStat(this.vms.console(v).read(Math.max(0, this.vms.console(v).size() - 8192)));
    if (!stat) throw new Error('the guest has not reported yet (no STAT line on its console)');
    const links = await ipJson<{ stats64?: { rx: { bytes: number }; tx: { bytes: number } } }[]>(
      ['-s', 'link', 'show', 'dev', vmTap(v.index)],
      v.netns,
    );
    const bytes = (links[0]?.stats64?.rx.bytes ?? 0) + (links[0]?.stats64?.tx.bytes ?? 0);
    const prevNet = this.prevNet.get(v.name);
    this.prevNet.set(v.name, { at, bytes });
    return {
      id: v.name,
      host: v.host,
      cpuPct,
      ramPct: (100 * (stat.memTotalKib - stat.memAvailKib)) / stat.memTotalKib,
      netBytesPerS: prevNet && at > prevNet.at && bytes >= prevNet.bytes ? (bytes - prevNet.bytes) / ((at - prevNet.at) / 1000) : 0,
      dirtyBytesPerS: stat.dirtyMibS * 1048576,
      sampledAt: at,
    };
  }

  private hostCpuPct(): number {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
    const all = f.reduce((a, b) => a + b, 0);
    const busy = all - f[3]! - f[4]!;
    const prev = this.prevHostCpu;
    this.prevHostCpu = { busy, all };
    return prev && all > prev.all ? (100 * (busy - prev.busy)) / (all - prev.all) : 0;
  }
}
