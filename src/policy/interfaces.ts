/**
 * The migration-policy job's I/O boundary: what it reads (`MetricsSource`), what it drives
 * (`ComputeApi`, `LoadBalancer`), and the plain data that flows between them and the pure core
 * (`ClusterSnapshot` in, `MigrationPlan` out).
 *
 * Units, everywhere in this folder:
 * - percentages are numbers in 0..100 (never 0..1);
 * - memory sizes are MiB; traffic counters are bytes; rates are bytes/s;
 * - times are milliseconds since the Unix epoch (`…At`) or durations in ms (`…Ms`) unless the
 *   name says `_s` / `S`.
 *
 * Implementations: Nova (`nova-compute.ts`, `nova-metrics.ts`, `nova-client.ts`), HAProxy (`haproxy-lb.ts`), trace replay
 * (`trace-source.ts`), and the one-machine lab (its own OpenStack on container hosts; provided by the lab
 * driver and wired in src/targets/drivers.ts).
 */

/** A percentage, 0..100. */
export type Percent = number;

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/** One VM's instantaneous reading. Averages over the interval t are computed by the job (`window.ts`). */
export interface VmMetrics {
  /** Server id (Nova UUID, or the lab VM's name). */
  readonly id: string;
  /** Compute host it runs on now. */
  readonly host: string;
  /** CPU use, percent of the VM's own vCPUs (100 = all vCPUs busy). */
  readonly cpuPct: Percent;
  /** RAM use, percent of the VM's memory (guest-visible used memory). */
  readonly ramPct: Percent;
  /** Network traffic, rx + tx, bytes/s, averaged since the previous reading. */
  readonly netBytesPerS: number;
  /**
   * Guest memory dirty rate, bytes/s (libvirt `domdirtyrate-calc` / QEMU `calc-dirty-rate`).
   * Undefined when the source cannot measure it: the core then estimates it conservatively and says so.
   */
  readonly dirtyBytesPerS?: number;
  /** Where `dirtyBytesPerS` came from, e.g. `QEMU calc-dirty-rate (dirty-bitmap, 1000 ms)` or `the guest's own report`. @default - not said */
  readonly dirtyRateSource?: string;
  /** When this reading was taken (ms epoch). Stale readings are never acted on. */
  readonly sampledAt: number;
}

/** One compute host's capacity and use. */
export interface HostMetrics {
  /** Hypervisor host name, as `ComputeApi.liveMigrate` expects it. */
  readonly name: string;
  /** Physical CPUs (or vCPU capacity after the allocation ratio). */
  readonly vcpus: number;
  /** Memory capacity, MiB. */
  readonly memoryMiB: number;
  /** CPU use of the whole host, percent. */
  readonly cpuPct: Percent;
  /** RAM use of the whole host, percent (allocated to VMs + hypervisor overhead). */
  readonly ramPct: Percent;
  /** Migration bandwidth available from/to this host, bytes/s. Undefined: use the policy default. */
  readonly migrationBytesPerS?: number;
  readonly sampledAt: number;
}

/** Reads the cluster's metrics. One call = one sampling round; it must not throw for one bad VM. */
export interface MetricsSource {
  sample(): Promise<MetricsReading>;
}

export interface MetricsReading {
  readonly takenAt: number;
  readonly vms: readonly VmMetrics[];
  readonly hosts: readonly HostMetrics[];
  /** Per-VM problems (missing diagnostics, ...): the VM is left alone this round. */
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Compute
// ---------------------------------------------------------------------------------------------

export interface ComputeHost {
  readonly name: string;
  /** Nova: `status == enabled && state == up`. Disabled or down hosts are never migration targets. */
  readonly usable: boolean;
  readonly vcpus: number;
  readonly memoryMiB: number;
}

export interface Server {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  /** Nova's status (ACTIVE, MIGRATING, ERROR, ...). Only ACTIVE servers are acted on. */
  readonly status: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** Address the load balancer sends traffic to. */
  readonly ip?: string;
  /** Server metadata. The job marks VMs it booted with `testbed-policy: created`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Anti-affinity server group id, if the server belongs to one. */
  readonly antiAffinityGroup?: string;
}

/** What `bootServer` needs for CREATE: a copy of an existing server's shape. */
export interface BootRequest {
  readonly name: string;
  /** The server whose image, flavor and networks the new one copies. */
  readonly likeServerId: string;
  /** Always set by the job to `{ 'testbed-policy': 'created' }` plus the caller's extras. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Returned by `liveMigrate`: enough to poll or abort that one migration. */
export interface MigrationHandle {
  readonly serverId: string;
  /** Nova migration id, once known (it is looked up on the first poll when the API does not return it). */
  readonly migrationId?: string;
  readonly sourceHost: string;
  readonly targetHost: string;
  readonly startedAt: number;
}

export type MigrationState = 'queued' | 'running' | 'completed' | 'failed' | 'aborted';

export interface MigrationStatus {
  readonly handle: MigrationHandle;
  readonly state: MigrationState;
  /** Bytes of guest memory to copy, copied so far, and left (Nova's memory_*_bytes). */
  readonly memoryTotalBytes?: number;
  readonly memoryProcessedBytes?: number;
  readonly memoryRemainingBytes?: number;
  /** The same for the disks (block migration; 0 on shared storage). */
  readonly diskTotalBytes?: number;
  readonly diskProcessedBytes?: number;
  readonly diskRemainingBytes?: number;
  /** The cloud's own status word (Nova: accepted, queued, preparing, running, completed, error, cancelled...). */
  readonly cloudStatus?: string;
  /** The cloud's migration record: created and last updated (ms epoch, the cloud's clock; Nova keeps whole seconds). */
  readonly recordCreatedAt?: number;
  readonly recordUpdatedAt?: number;
  /** Set once the migration ended (completed, failed or aborted). */
  readonly finishedAt?: number;
  /** Why it failed, when known. */
  readonly error?: string;
}

export interface ComputeApi {
  listHosts(): Promise<readonly ComputeHost[]>;
  listServers(): Promise<readonly Server[]>;
  /** Starts a live migration to `targetHost` (block migration decided by the cloud: "auto"). */
  liveMigrate(serverId: string, targetHost: string): Promise<MigrationHandle>;
  /** One poll; the caller repeats until `state` is completed, failed or aborted. */
  pollMigration(handle: MigrationHandle): Promise<MigrationStatus>;
  /** Aborts a running migration (the job does this on its own timeout). */
  abortMigration(handle: MigrationHandle): Promise<void>;
  /** CREATE: boots a VM like an existing one. Resolves once the API accepted it. */
  bootServer(request: BootRequest): Promise<Server>;
  /** TERM: deletes a VM. */
  deleteServer(serverId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------------------------

/** A server inside a load-balancer backend (HAProxy `backend/server`). */
export interface LbServerRef {
  readonly backend: string;
  readonly server: string;
}

export type LbAdminState = 'ready' | 'drain' | 'maint';

export interface LbServerState extends LbServerRef {
  readonly address: string;
  readonly port: number;
  /** Current (effective) weight, 0..256. */
  readonly weight: number;
  readonly admin: LbAdminState;
  /** Operational state as the LB sees it. */
  readonly up: boolean;
}

export interface LoadBalancer {
  /** WEIGHT W1 / WEIGHT W2. */
  setWeight(ref: LbServerRef, weight: number): Promise<void>;
  /** Stop sending new sessions (before TERM or before a migration that needs it). */
  drain(ref: LbServerRef): Promise<void>;
  /** Back to normal service. */
  ready(ref: LbServerRef): Promise<void>;
  /** CREATE: registers a new server (HAProxy 2.6 dynamic servers), enabled with `weight`. */
  addServer(ref: LbServerRef, address: string, port: number, weight: number): Promise<void>;
  /** TERM: unregisters a server (it must be drained or in maintenance first; the driver does that). */
  removeServer(ref: LbServerRef): Promise<void>;
  /** Reads back every server's address, weight and state. */
  readBack(): Promise<readonly LbServerState[]>;
}

// ---------------------------------------------------------------------------------------------
// The pure core's input and output
// ---------------------------------------------------------------------------------------------

/** The study's four VM states (issue 5): 0 idle, 1 low, 2 normal, 3 high. */
export type VmState = 0 | 1 | 2 | 3;

/** One VM as the core sees it: current values plus averages over the interval t. */
export interface VmView {
  readonly id: string;
  readonly host: string;
  /** Current CPU and RAM (the study's `CPU`, `RAM`). */
  readonly cpuPct: Percent;
  readonly ramPct: Percent;
  /** Averages over the interval t (the study's `Cmin`, `Rmin`). Equal to the current values when no history. */
  readonly cpuAvgPct: Percent;
  readonly ramAvgPct: Percent;
  /** Recent CPU samples, oldest first, one per sample period (the consolidate mode's forecast). @default - none */
  readonly cpuHistoryPct?: readonly Percent[];
  readonly netBytesPerS: number;
  /** Undefined: unknown (the core estimates conservatively and says so). */
  readonly dirtyBytesPerS?: number;
  /** Where `dirtyBytesPerS` came from (the metrics source's words). @default - not said */
  readonly dirtyRateSource?: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /**
   * RAM the VM needs on a migration target, MiB: what the accounting in use reserves for it ("RAM against
   * capacity"). Nova and the lab reserve the flavour's full memory; CloudSim's PlanetLab examples request
   * RAM utilisation × RAM, which is 0 there (`UtilizationModelNull`). @default memoryMiB
   */
  readonly ramReservedMiB?: number;
  readonly sampledAt: number;
  /** Load-balancer server of this VM, if it is behind one. */
  readonly lb?: LbServerRef;
  readonly ip?: string;
  /** True when the job booted this VM itself (safe mode destroys only these). */
  readonly createdByJob: boolean;
  readonly antiAffinityGroup?: string;
  /** A migration of this VM is in flight. */
  readonly migrating: boolean;
}

export interface HostView {
  readonly name: string;
  readonly usable: boolean;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly cpuPct: Percent;
  readonly ramPct: Percent;
  readonly migrationBytesPerS?: number;
  /** Live migrations in flight from or to this host. */
  readonly migrationsInFlight: number;
}

/** What the job remembers between cycles; owned by the loop, read (never written) by the core. */
export interface PolicyMemory {
  /** Last state decided per VM (hysteresis). */
  readonly lastState: Readonly<Record<string, VmState>>;
  /** Per VM: when its cooldown ends (ms epoch), after a migration, a failure or an abort. */
  readonly cooldownUntil: Readonly<Record<string, number>>;
}

export interface ClusterSnapshot {
  /** The decision time (ms epoch). The core has no clock: cooldowns and staleness compare against this. */
  readonly now: number;
  readonly hosts: readonly HostView[];
  readonly vms: readonly VmView[];
  readonly memory: PolicyMemory;
  /** Whether the load balancer answered this cycle (false: no action that depends on draining). */
  readonly lbReachable: boolean;
}

export type PlanAction =
  | { readonly kind: 'weight'; readonly vmId: string; readonly weight: number; readonly lb?: LbServerRef; readonly reason: string }
  | {
      readonly kind: 'migrate';
      readonly vmId: string;
      readonly from: string;
      readonly to: string;
      /** Estimated migration traffic (VMnet), MiB. */
      readonly vmnetMiB: number;
      /** Estimated pre-copy time, s. */
      readonly estimatedS: number;
      readonly reason: string;
    }
  | { readonly kind: 'create'; readonly likeVmId: string; readonly reason: string }
  | { readonly kind: 'drain'; readonly vmId: string; readonly lb?: LbServerRef; readonly reason: string }
  | { readonly kind: 'terminate'; readonly vmId: string; readonly ip?: string; readonly lb?: LbServerRef; readonly reason: string };

/** Per-VM verdict: its state and why; `action` is absent when the VM is only reported on. */
export interface VmDecision {
  readonly vmId: string;
  readonly host: string;
  readonly state: VmState | 'skipped';
  readonly reason: string;
}

export interface MigrationPlan {
  readonly mode: 'paper' | 'safe' | 'consolidate';
  readonly now: number;
  readonly decisions: readonly VmDecision[];
  /** In execution order. */
  readonly actions: readonly PlanAction[];
  /** Things an operator should know (stale metrics, estimated dirty rates, ...). */
  readonly warnings: readonly string[];
}
