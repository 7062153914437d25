/**
 * `ComputeApi` and `MetricsSource` on the Nova compute API (v2.1) with microversion 2.56:
 * every request carries `X-Auth-Token` and `OpenStack-API-Version: compute 2.56` (2.56 lets
 * os-migrateLive name the target host with `block_migration: "auto"`; 2.48 gives the standard
 * diagnostics format). Nova answers 406 when it does not support the microversion.
 *
 * Calls used (api-ref compute): GET /os-hypervisors/detail, GET /servers/detail,
 * POST /servers/{id}/action {"os-migrateLive": {...}} (202; 409 if the server is busy),
 * GET /servers/{id}/migrations (in-progress live migrations only), GET /servers/{id},
 * DELETE /servers/{id}/migrations/{mid} (abort, 202), GET /servers/{id}/diagnostics,
 * POST /servers (CREATE), DELETE /servers/{id} (TERM).
 *
 * GET and DELETE are retried on 5xx and timeouts with backoff; POSTs are not (a retried
 * os-migrateLive could start a second migration): their failure goes back to the loop.
 * The dirty rate is not available from Nova: `dirtyBytesPerS` stays undefined and the core
 * estimates it (docs/policy.md).
 */
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
} from './interfaces.js';
import { backoffDelay } from './loop.js';
import { keystoneLogin, OpenStackHttpError, type KeystoneToken, type OpenStackCredentials } from './openstack-auth.js';

export const NOVA_MICROVERSION = '2.56';

export interface NovaOptions {
  readonly credentials: OpenStackCredentials;
  /** Per-request timeout. @default 15000 */
  readonly timeoutMs?: number;
  /** Attempts for GET/DELETE. @default 4 */
  readonly attempts?: number;
  /** First retry delay. @default 500 */
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

interface NovaServerJson {
  id: string;
  name: string;
  status: string;
  'OS-EXT-SRV-ATTR:hypervisor_hostname'?: string;
  'OS-EXT-SRV-ATTR:host'?: string;
  flavor?: { vcpus?: number; ram?: number };
  addresses?: Record<string, Array<{ addr: string; version?: number }>>;
  metadata?: Record<string, string>;
  image?: { id?: string } | string;
}

const RETRYABLE = (status: number): boolean => status >= 500 || status === 429;

export class NovaClient {
  private token: KeystoneToken | undefined;
  private readonly now: () => number;
  constructor(private readonly o: NovaOptions) {
    this.now = o.now ?? Date.now;
  }

  private async auth(): Promise<KeystoneToken> {
    if (!this.token || this.token.expiresAt - this.now() < 60_000) this.token = await keystoneLogin(this.o.credentials, this.o.timeoutMs ?? 15_000);
    return this.token;
  }

  /** One API call; returns the parsed JSON body (undefined for an empty body). */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const attempts = method === 'POST' ? 1 : (this.o.attempts ?? 4);
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const t = await this.auth();
      const url = `${t.computeUrl}${path}`;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            'X-Auth-Token': t.token,
            'OpenStack-API-Version': `compute ${NOVA_MICROVERSION}`,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
        });
        const text = await res.text();
        if (res.status === 401 && attempt < attempts) {
          this.token = undefined;
          continue;
        }
        if (res.status === 406) {
          throw new OpenStackHttpError(
            method,
            url,
            406,
            `Nova does not support compute microversion ${NOVA_MICROVERSION} (the job needs >= 2.56: target host with block_migration "auto"): ${text.slice(0, 200)}`,
          );
        }
        if (!res.ok) {
          last = new OpenStackHttpError(method, url, res.status, text);
          if (RETRYABLE(res.status) && attempt < attempts) {
            await sleep(backoffDelay(attempt, Math.random(), { minDelayMs: this.o.retryDelayMs ?? 500, maxDelayMs: 10_000 }));
            continue;
          }
          throw last;
        }
        return (text ? JSON.parse(text) : undefined) as T;
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        if (timedOut) last = new OpenStackHttpError(method, url, 0, `no answer within ${this.o.timeoutMs ?? 15_000} ms`);
        else if (err instanceof TypeError)
          last = new OpenStackHttpError(method, url, 0, `cannot connect: ${(err.cause as Error | undefined)?.message ?? err.message}`);
        else throw err;
        if (attempt < attempts) {
          await sleep(backoffDelay(attempt, Math.random(), { minDelayMs: this.o.retryDelayMs ?? 500, maxDelayMs: 10_000 }));
          continue;
        }
      }
    }
    throw last;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function toServer(s: NovaServerJson): Server {
  const ips = Object.values(s.addresses ?? {}).flat();
  const ip = ips.find((a) => a.version !== 6)?.addr ?? ips[0]?.addr;
  return {
    id: s.id,
    name: s.name,
    host: s['OS-EXT-SRV-ATTR:hypervisor_hostname'] ?? s['OS-EXT-SRV-ATTR:host'] ?? '',
    status: s.status,
    vcpus: s.flavor?.vcpus ?? 0,
    memoryMiB: s.flavor?.ram ?? 0,
    ...(ip ? { ip } : {}),
    metadata: s.metadata ?? {},
  };
}

export class NovaComputeApi implements ComputeApi {
  constructor(
    private readonly client: NovaClient,
    private readonly now: () => number = Date.now,
  ) {}

  async listHosts(): Promise<readonly ComputeHost[]> {
    const r = await this.client.request<{
      hypervisors: Array<{ hypervisor_hostname: string; state: string; status: string; vcpus: number; memory_mb: number }>;
    }>('GET', '/os-hypervisors/detail');
    return r.hypervisors.map((h) => ({
      name: h.hypervisor_hostname,
      usable: h.state === 'up' && h.status === 'enabled',
      vcpus: h.vcpus,
      memoryMiB: h.memory_mb,
    }));
  }

  async listServers(): Promise<readonly Server[]> {
    const r = await this.client.request<{ servers: NovaServerJson[] }>('GET', '/servers/detail?all_tenants=1');
    return r.servers.map(toServer);
  }

  async liveMigrate(serverId: string, targetHost: string): Promise<MigrationHandle> {
    const before = await this.client.request<{ server: NovaServerJson }>('GET', `/servers/${encodeURIComponent(serverId)}`);
    await this.client.request('POST', `/servers/${encodeURIComponent(serverId)}/action`, {
      'os-migrateLive': { host: targetHost, block_migration: 'auto' },
    });
    return { serverId, sourceHost: toServer(before.server).host, targetHost, startedAt: this.now() };
  }

  async pollMigration(handle: MigrationHandle): Promise<MigrationStatus> {
    const id = encodeURIComponent(handle.serverId);
    const r = await this.client.request<{
      migrations: Array<{
        id: number;
        status: string;
        dest_compute?: string;
        memory_total_bytes?: number;
        memory_processed_bytes?: number;
        memory_remaining_bytes?: number;
      }>;
    }>('GET', `/servers/${id}/migrations`);
    const m = r.migrations[0];
    if (m) {
      const h = { ...handle, migrationId: String(m.id) };
      return {
        handle: h,
        state: m.status === 'queued' || m.status === 'preparing' ? 'queued' : 'running',
        memoryTotalBytes: m.memory_total_bytes,
        memoryProcessedBytes: m.memory_processed_bytes,
        memoryRemainingBytes: m.memory_remaining_bytes,
      };
    }
    // Not in progress any more: the server tells how it ended.
    const s = toServer((await this.client.request<{ server: NovaServerJson }>('GET', `/servers/${id}`)).server);
    if (s.status === 'MIGRATING') return { handle, state: 'queued' };
    const finishedAt = this.now();
    if (s.status === 'ACTIVE' && s.host === handle.targetHost) return { handle, state: 'completed', finishedAt };
    return {
      handle,
      state: 'failed',
      finishedAt,
      error: `the server is ${s.status} on ${s.host || 'an unknown host'} (target was ${handle.targetHost})`,
    };
  }

  async abortMigration(handle: MigrationHandle): Promise<void> {
    let mid = handle.migrationId;
    if (!mid) mid = (await this.pollMigration(handle)).handle.migrationId;
    if (!mid) return; // Already over.
    await this.client.request('DELETE', `/servers/${encodeURIComponent(handle.serverId)}/migrations/${encodeURIComponent(mid)}`);
  }

  async bootServer(req: BootRequest): Promise<Server> {
    const like = (
      await this.client.request<{ server: NovaServerJson & { flavor?: { original_name?: string } } }>(
        'GET',
        `/servers/${encodeURIComponent(req.likeServerId)}`,
      )
    ).server;
    const image = typeof like.image === 'object' ? like.image?.id : undefined;
    const r = await this.client.request<{ server: { id: string } }>('POST', '/servers', {
      server: {
        name: req.name,
        imageRef: image ?? '',
        flavorRef: like.flavor?.original_name ?? '',
        networks: 'auto',
        metadata: { ...req.metadata, 'testbed-policy': 'created' },
      },
    });
    return {
      id: r.server.id,
      name: req.name,
      host: '',
      status: 'BUILD',
      vcpus: like.flavor?.vcpus ?? 0,
      memoryMiB: like.flavor?.ram ?? 0,
      metadata: { ...req.metadata, 'testbed-policy': 'created' },
    };
  }

  async deleteServer(serverId: string): Promise<void> {
    await this.client.request('DELETE', `/servers/${encodeURIComponent(serverId)}`);
  }
}

interface Diagnostics {
  state?: string;
  num_cpus?: number;
  cpu_details?: Array<{ time?: number | null }>;
  nic_details?: Array<{ rx_octets?: number | null; tx_octets?: number | null }>;
  memory_details?: { maximum?: number | null; used?: number | null };
}

/**
 * Metrics from server diagnostics (2.48): CPU % from the delta of the vCPUs' time (ns) over the wall
 * time between two readings, RAM % = used / maximum, traffic from NIC byte deltas. A VM's first
 * reading has no delta: it is reported as missing (no action) until the second.
 */
export class NovaMetricsSource implements MetricsSource {
  private readonly previous = new Map<string, { at: number; cpuNs: number; netBytes: number }>();
  constructor(
    private readonly client: NovaClient,
    private readonly compute: NovaComputeApi,
    private readonly now: () => number = Date.now,
  ) {}

  async sample(): Promise<MetricsReading> {
    const [hosts, servers] = await Promise.all([this.compute.listHosts(), this.compute.listServers()]);
    const hyp = await this.client.request<{
      hypervisors: Array<{ hypervisor_hostname: string; vcpus: number; memory_mb: number; memory_mb_used: number }>;
    }>('GET', '/os-hypervisors/detail');
    const warnings: string[] = [];
    const vms: VmMetrics[] = [];
    const takenAt = this.now();
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
      const max = d.memory_details?.maximum;
      const used = d.memory_details?.used;
      if (!prev || at <= prev.at || !max || used === undefined || used === null) {
        warnings.push(`${s.id}: ${prev ? 'incomplete diagnostics' : 'first reading, no CPU delta yet'}; no action for it`);
        continue;
      }
      const dt = (at - prev.at) / 1000;
      const ncpu = d.num_cpus ?? s.vcpus ?? 1;
      vms.push({
        id: s.id,
        host: s.host,
        cpuPct: Math.min(100, Math.max(0, ((cpuNs - prev.cpuNs) / 1e9 / dt / ncpu) * 100)),
        ramPct: Math.min(100, (used / max) * 100),
        netBytesPerS: Math.max(0, (netBytes - prev.netBytes) / dt),
        sampledAt: at,
      });
    }
    const cpuByHost = new Map<string, number>();
    for (const v of vms) {
      const s = servers.find((x) => x.id === v.id)!;
      cpuByHost.set(v.host, (cpuByHost.get(v.host) ?? 0) + (v.cpuPct * s.vcpus) / 100);
    }
    const hostMetrics: HostMetrics[] = hosts.map((h) => {
      const j = hyp.hypervisors.find((x) => x.hypervisor_hostname === h.name);
      return {
        name: h.name,
        vcpus: h.vcpus,
        memoryMiB: h.memoryMiB,
        cpuPct: h.vcpus > 0 ? ((cpuByHost.get(h.name) ?? 0) / h.vcpus) * 100 : 0,
        ramPct: j && j.memory_mb > 0 ? (j.memory_mb_used / j.memory_mb) * 100 : 0,
        sampledAt: takenAt,
      };
    });
    return { takenAt, vms, hosts: hostMetrics, warnings };
  }
}
