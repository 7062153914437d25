/**
 * The experiment executor for a deployed cloud testbed, over the policy job's `ComputeApi` (Nova).
 *
 * - VMs: `bootServer` copies a template server, so each pool × flavor needs one: a boot-from-volume
 *   server of the pool's Cinder volume type with metadata `testbed-experiment: <pool>/<flavor>`.
 *   The booted copy carries `testbed-load: none|memory|disk|memory+disk` for the guest's load program.
 * - Migrations: `liveMigrate` to the other host, polled every `pollMs` to the end. What Nova can
 *   tell, and what the record holds:
 *   - `total_ms`: the migration record's `updated_at − created_at` at its end (the cloud's clock,
 *     whole seconds; from `accepted`, so the scheduling and pre-checks are in it). Only when the
 *     record has no times is it the client's polls (≤ `pollMs` late); `raw.timing` says which.
 *   - `transferred_bytes`: memory + disk processed bytes of the last in-progress record seen
 *     (Nova's libvirt monitor updates them while the job runs, not at its end: a lower bound, at
 *     most one poll old). NaN when no poll saw the migration running.
 *   - Not available from Nova, so NaN: setup time, QEMU's downtime, pages, iterations. The
 *     client-side probe is the downtime measure on the cloud.
 * - Conditions: the accelerator is what Nova's diagnostics say for the booted VMs (libvirt
 *   virt_type: kvm, or qemu = TCG) when the API can tell (`acceleratorOf`), else `unknown`; never
 *   this client's /dev/kvm.
 * - Probe: from this machine, straight to the server's address and through the load balancer.
 * - fio: runs on a Ceph client node, which this executor cannot reach; every fio job is recorded
 *   as failed with that reason (never dropped).
 */
import {
  GapProbe,
  type Conditions,
  type ExperimentExecutor,
  type MigrateRequest,
  type MigrationLoad,
  type MigrationRecord,
  type ProbeGaps,
  type ProbeTarget,
  type VmHandle,
  switchoverNotMeasured,
} from '../../experiments/index.js';
import type { ComputeApi, MigrationStatus as NovaMigrationStatus, Server } from '../../policy/index.js';

export const TEMPLATE_KEY = 'testbed-experiment';

export interface CloudExecutorProps {
  readonly api: ComputeApi;
  /** Prefix of the booted servers' names. */
  readonly namePrefix: string;
  readonly linkMbit: number;
  readonly probeIntervalMs: number;
  /** The load balancer's URL as a client sees it (HAProxy); no HAProxy probe without it. */
  readonly lbUrl?: ProbeTarget;
  /** Port of the guests' HTTP server. @default 80 */
  readonly guestPort?: number;
  readonly collectConditions: () => Promise<Conditions>;
  /** @default 2000 */
  readonly pollMs?: number;
  /** Give up on a migration (abort it) after this long. @default 1_800_000 */
  readonly migrationTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

interface CloudProbe {
  readonly lb?: GapProbe;
  readonly direct?: GapProbe;
}

const TERMINAL = new Set(['completed', 'failed', 'aborted']);

type Accel = Conditions['accel'];
/** A Compute API that can tell a server's accelerator (NovaComputeApi can, from diagnostics). */
interface AcceleratorReader {
  acceleratorOf(serverId: string): Promise<Accel>;
}
const readsAccelerator = (api: ComputeApi): api is ComputeApi & AcceleratorReader =>
  typeof (api as Partial<AcceleratorReader>).acceleratorOf === 'function';

/** The bytes Nova had counted, memory + disk, or undefined when it reported none. */
function processedBytes(s: NovaMigrationStatus): number | undefined {
  if (s.memoryProcessedBytes === undefined && s.diskProcessedBytes === undefined) return undefined;
  return (s.memoryProcessedBytes ?? 0) + (s.diskProcessedBytes ?? 0);
}

export class CloudExecutor implements ExperimentExecutor {
  readonly target = 'cloud' as const;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly servers = new Map<string, Server>();
  private readonly accels = new Set<Accel>();

  constructor(private readonly p: CloudExecutorProps) {
    this.sleep = p.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = p.now ?? Date.now;
  }

  async hosts(): Promise<readonly string[]> {
    return (await this.p.api.listHosts()).filter((h) => h.usable).map((h) => h.name);
  }

  async bootVm(pool: string, flavor: string, load: MigrationLoad): Promise<VmHandle> {
    const servers = await this.p.api.listServers();
    const template = servers.find((s) => s.metadata[TEMPLATE_KEY] === `${pool}/${flavor}` && s.status === 'ACTIVE');
    if (!template) {
      throw new Error(
        `cloud: no ACTIVE template server for pool "${pool}" and flavor "${flavor}"; create one boot-from-volume server of flavor ${flavor} ` +
          `with a volume of the "${pool}" volume type and metadata ${TEMPLATE_KEY}=${pool}/${flavor}`,
      );
    }
    let server = await this.p.api.bootServer({
      name: `${this.p.namePrefix}-exp-${pool}-${flavor}-${load}`,
      likeServerId: template.id,
      metadata: { [TEMPLATE_KEY]: `run/${pool}/${flavor}`, 'testbed-load': load },
    });
    const deadline = this.now() + 600_000;
    while (server.status !== 'ACTIVE') {
      if (server.status === 'ERROR') throw new Error(`cloud: server ${server.name} (${server.id}) went to ERROR while booting`);
      if (this.now() > deadline) throw new Error(`cloud: server ${server.name} (${server.id}) not ACTIVE after 600 s (status ${server.status})`);
      await this.sleep(this.p.pollMs ?? 2000);
      server = (await this.p.api.listServers()).find((s) => s.id === server.id) ?? server;
    }
    this.servers.set(server.id, server);
    if (readsAccelerator(this.p.api)) this.accels.add(await this.p.api.acceleratorOf(server.id));
    return { id: server.id, host: server.host, pool, flavor, load };
  }

  async migrate(vm: VmHandle, source: string, r: MigrateRequest): Promise<MigrationRecord> {
    const handle = await this.p.api.liveMigrate(vm.id, r.target);
    let status: NovaMigrationStatus = await this.p.api.pollMigration(handle);
    const deadline = handle.startedAt + (this.p.migrationTimeoutMs ?? 1_800_000);
    let reason: string | undefined;
    let lastRunning: NovaMigrationStatus | undefined;
    while (!TERMINAL.has(status.state)) {
      if (status.state === 'running' && processedBytes(status) !== undefined) lastRunning = status;
      if (this.now() > deadline && reason === undefined) {
        await this.p.api.abortMigration(status.handle);
        reason = `did not complete within ${Math.round((this.p.migrationTimeoutMs ?? 1_800_000) / 1000)} s; aborted`;
      }
      await this.sleep(this.p.pollMs ?? 2000);
      status = await this.p.api.pollMigration(status.handle);
    }
    const nan = Number.NaN;
    const fromRecord = status.recordCreatedAt !== undefined && status.recordUpdatedAt !== undefined;
    const totalMs = fromRecord ? status.recordUpdatedAt! - status.recordCreatedAt! : (status.finishedAt ?? this.now()) - handle.startedAt;
    const bytes = lastRunning ? processedBytes(lastRunning)! : nan;
    return {
      vm: vm.id,
      flavor: vm.flavor,
      pool: vm.pool,
      load: vm.load,
      rep: r.rep,
      source,
      target: r.target,
      status: status.state === 'completed' ? 'completed' : status.state === 'aborted' ? 'cancelled' : 'failed',
      ...(status.state === 'completed' ? {} : { reason: reason ?? status.error ?? `Nova reports ${status.state}` }),
      total_ms: totalMs,
      setup_ms: nan,
      downtime_ms: nan,
      downtime_real_ms: nan,
      transferred_bytes: bytes,
      normal_pages: nan,
      zero_pages: nan,
      iterations: nan,
      link_mbit: this.p.linkMbit,
      // The guest's own verification is not reachable through Nova.
      pattern_verified: false,
      // QEMU's QMP and trace events are on the compute host, which Nova's API does not reach.
      dirty_rate_calc_problem: 'not measurable here: calc-dirty-rate needs the QEMU monitor on the compute host, out of reach of the Nova API',
      switchover: switchoverNotMeasured('not measurable here: the source QEMU trace events are on the compute host, out of reach of the Nova API'),
      raw: {
        final: status,
        last_running: lastRunning ?? null,
        timing: fromRecord
          ? "Nova migration record: updated_at - created_at (cloud clock, 1 s resolution, from 'accepted')"
          : `client polls every ${this.p.pollMs ?? 2000} ms (the record had no times)`,
        bytes: lastRunning
          ? 'memory + disk processed bytes of the last in-progress record seen (a lower bound)'
          : 'no poll saw the migration running',
      },
    };
  }

  async startProbe(vm: VmHandle): Promise<CloudProbe> {
    const ip = this.servers.get(vm.id)?.ip;
    const opts = { intervalMs: this.p.probeIntervalMs };
    const probes: CloudProbe = {
      ...(this.p.lbUrl ? { lb: new GapProbe(this.p.lbUrl, opts) } : {}),
      ...(ip ? { direct: new GapProbe({ kind: 'http', host: ip, port: this.p.guestPort ?? 80 }, opts) } : {}),
    };
    probes.lb?.start();
    probes.direct?.start();
    return probes;
  }

  async stopProbe(session: unknown): Promise<ProbeGaps> {
    const s = session as CloudProbe;
    const [lb, direct] = await Promise.all([s.lb?.stop(), s.direct?.stop()]);
    return { haproxy_ms: lb?.longest_gap_ms ?? Number.NaN, direct_ms: direct?.longest_gap_ms ?? Number.NaN };
  }

  async destroyVm(vm: VmHandle): Promise<void> {
    await this.p.api.deleteServer(vm.id);
    this.servers.delete(vm.id);
  }

  async prefillFio(): Promise<void> {}

  async runFio(pool: string): Promise<string> {
    throw new Error(
      `cloud: fio on pool "${pool}" must run on a Ceph client node of the testbed, which this executor cannot reach; run the lab target for fio`,
    );
  }

  async collectConditions(): Promise<Conditions> {
    const c = await this.p.collectConditions();
    // One accelerator when every booted VM agreed, else unknown (mixed, or nothing could tell).
    const known = [...this.accels];
    const accel: Accel = known.length === 1 ? known[0]! : 'unknown';
    const how =
      known.length === 0
        ? 'accelerator unknown: no VM booted yet, or the Compute API cannot tell'
        : known.length === 1
          ? `accelerator ${accel}: from Nova's diagnostics of the booted VMs (libvirt virt_type)`
          : `accelerator unknown: the booted VMs reported ${known.join(', ')}`;
    return { ...c, accel, notes: [...c.notes, how] };
  }
}
