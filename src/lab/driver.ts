/**
 * The lab driver: the policy job's `ComputeApi` and `MetricsSource` over the lab's QEMU VMs, as the
 * Nova driver does over OpenStack. Server ids are the lab VM names; hosts are the compute namespaces.
 * - CPU: the QEMU process's utime+stime deltas (/proc/PID/stat) per vCPU;
 * - RAM: the guest's own report (dirtier STAT line: MemTotal − MemAvailable);
 * - network: the VM's tap counters;
 * - dirty rate: QEMU's `calc-dirty-rate` (src/lab/dirty-rate.ts, every VM at once, over `dirtyRateCalcMs`),
 *   which the core's VMnet gating uses (`policy.vmnet.beta: auto`) instead of an assumed β; the
 *   guest's own report while the VM migrates or when QEMU cannot measure it. Each reading says which
 *   (`dirtyRateSource`).
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
import { dirtyRateModes, measureDirtyRate, type DirtyRateMeasurement } from './dirty-rate.js';
import { QmpClient } from './qmp.js';
import type { LabVms } from './vms.js';
import { netnsExists } from './netns.js';

export interface LabDriverProps {
  readonly vms: LabVms;
  readonly settings: LiveMigrationSettings;
  readonly linkMbit: number;
  /** @default - silent */
  readonly log?: (line: string) => void;
  /** Window of QEMU's calc-dirty-rate per sample, ms; 0: use the guest's own report. @default 1000 */
  readonly dirtyRateCalcMs?: number;
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
  private readonly dirtyRateCalcMs: number;
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
    this.dirtyRateCalcMs = props.dirtyRateCalcMs ?? 1000;
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
    // Every VM at once: each calc-dirty-rate holds its window.
    const migrating = new Set([...this.inFlight.values()].filter((f) => !f.record && !f.error).map((f) => f.handle.serverId));
    const results = await Promise.allSettled(this.vms.list().map((v) => this.vmMetrics(v, takenAt, migrating.has(v.name))));
    this.vms.list().forEach((v, i) => {
      const r = results[i]!;
      if (r.status === 'fulfilled') vms.push(r.value);
      else warnings.push(`${v.name}: ${(r.reason as Error).message}`);
    });
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

  /** QEMU's own measurement (calc-dirty-rate over `calcMs`). Not during a migration. */
  async qemuDirtyRate(name: string, calcMs = 1000): Promise<DirtyRateMeasurement> {
    const v = this.vms.get(name);
    const qmp = await QmpClient.connect(runFiles(this.vms.labDir, v.name, v.host).qmp, 2000);
    try {
      return await measureDirtyRate(qmp, calcMs, dirtyRateModes(v.accel));
    } finally {
      qmp.close();
    }
  }

  /** The dirty rate the core gets for `v`: QEMU's measurement, else the guest's report, with where it came from. */
  private async dirtyRateFor(v: VmPlacement, guestMibS: number, migrating: boolean): Promise<{ dirtyBytesPerS: number; dirtyRateSource: string }> {
    const guest = (why: string) => ({ dirtyBytesPerS: guestMibS * 1048576, dirtyRateSource: `the guest's own report (${why})` });
    const calcMs = this.dirtyRateCalcMs;
    if (calcMs <= 0) return guest('calc-dirty-rate turned off');
    if (migrating) return guest('migrating: calc-dirty-rate would share the dirty log with the migration');
    try {
      const m = await this.qemuDirtyRate(v.name, calcMs);
      return { dirtyBytesPerS: m.mib_s * 1048576, dirtyRateSource: `QEMU calc-dirty-rate (${m.mode}, ${m.calc_ms} ms)` };
    } catch (e) {
      return guest(`QEMU could not measure: ${(e as Error).message}`);
    }
  }

  private metadata(name: string): Record<string, string> {
    const f = join(this.vms.labDir, 'vms', name, 'metadata.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, string>) : {};
  }

  private async vmMetrics(v: VmPlacement, at: number, migrating: boolean): Promise<VmMetrics> {
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
      ...(await this.dirtyRateFor(v, stat.dirtyMibS, migrating)),
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
