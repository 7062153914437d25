/**
 * `ComputeApi` on the Nova compute API (v2.1), microversion 2.56 unless a call says otherwise.
 * Each rule below was checked against Nova's source (nova/api/openstack/compute/*.py,
 * nova/compute/api.py, rest_api_version_history.rst); test/policy/nova-contract-server.ts enforces them.
 *
 * - Hosts are named by their compute *service* host (`service.host` of os-hypervisors, the servers'
 *   `OS-EXT-SRV-ATTR:host`): os-migrateLive's `host` is looked up with
 *   ComputeNodeList.get_all_by_host, and `hypervisor_hostname` (the node) may differ. From 2.53
 *   hypervisor ids are UUIDs; nothing here uses them.
 * - os-migrateLive `{host, block_migration: "auto"}` (2.25+), 202. From 2.34 the pre-checks run
 *   after the 202: a bad target shows up as a migration record in status `error`, not as a 400.
 * - A migration's record starts `accepted` (listed by GET /os-migrations only), then `queued`,
 *   `preparing`, `running`; GET /servers/{id}/migrations lists only queued..post-migrating. When it
 *   is no longer listed, GET /os-migrations?instance_uuid=… tells how it ended (completed, error,
 *   failed, cancelled) and when (created_at/updated_at, whole seconds, the cloud's clock).
 * - Abort, DELETE /servers/{id}/migrations/{mid}: below 2.65 only a `running` migration can be
 *   aborted (400 otherwise); the driver waits for `running` (or the end) before it asks.
 * - CREATE copies a server: POST /servers with the flavor's *id* (GET /flavors/detail, looked up by
 *   the `original_name` that 2.47+ shows), its networks (os-interface), and either its image or, for a
 *   server booted from a volume, a block_device_mapping_v2 that makes a new volume from the boot
 *   volume's image, of the same size and volume type (Cinder GET /volumes/{id}; `volume_type` in a BDM
 *   needs 2.67, so that one call uses 2.67).
 */
import type { BootRequest, ComputeApi, ComputeHost, MigrationHandle, MigrationStatus, Server } from './interfaces.js';
import { novaFaultMessage, parseNovaTime, sleep, type NovaClient } from './nova-client.js';
import { OpenStackHttpError } from './openstack-auth.js';

export { NOVA_MICROVERSION, NovaClient, type NovaOptions } from './nova-client.js';
export { NovaMetricsSource } from './nova-metrics.js';

/** POST /servers of a boot-from-volume copy: `volume_type` in block_device_mapping_v2 is 2.67+. */
export const BOOT_FROM_VOLUME_MICROVERSION = '2.67';

export interface NovaServerJson {
  id: string;
  name: string;
  status: string;
  'OS-EXT-SRV-ATTR:hypervisor_hostname'?: string | null;
  'OS-EXT-SRV-ATTR:host'?: string | null;
  'OS-EXT-SRV-ATTR:root_device_name'?: string | null;
  flavor?: { vcpus?: number; ram?: number; original_name?: string; id?: string };
  addresses?: Record<string, Array<{ addr: string; version?: number }>>;
  metadata?: Record<string, string>;
  image?: { id?: string } | string;
  'os-extended-volumes:volumes_attached'?: Array<{ id: string }>;
}

export interface NovaHypervisorJson {
  id: string | number;
  hypervisor_hostname: string;
  hypervisor_type?: string;
  state: string;
  status: string;
  vcpus: number;
  memory_mb: number;
  memory_mb_used: number;
  service?: { host?: string };
}

/** One record of GET /servers/{id}/migrations (in progress) or GET /os-migrations (any status). */
interface NovaMigrationJson {
  id: number;
  status: string;
  created_at?: string | null;
  updated_at?: string | null;
  memory_total_bytes?: number | null;
  memory_processed_bytes?: number | null;
  memory_remaining_bytes?: number | null;
  disk_total_bytes?: number | null;
  disk_processed_bytes?: number | null;
  disk_remaining_bytes?: number | null;
}

/** The handle this driver returns: the base one plus the newest migration id of the server before this one. */
interface NovaMigrationHandle extends MigrationHandle {
  readonly previousMigrationId?: number;
}

const QUEUED = new Set(['accepted', 'queued', 'preparing', 'pre-migrating']);
const RUNNING = new Set(['running', 'post-migrating']);
const FAILED = new Set(['error', 'failed']);

/** The service host a server runs on (what os-migrateLive and os-hypervisors' service.host name). */
export function serviceHostOf(s: NovaServerJson): string {
  return s['OS-EXT-SRV-ATTR:host'] ?? '';
}

/** A hypervisor's service host; before 2.53 clouds without `service` fall back to the node name. */
export function hostNameOf(h: NovaHypervisorJson): string {
  return h.service?.host ?? h.hypervisor_hostname;
}

export function toServer(s: NovaServerJson): Server {
  const ips = Object.values(s.addresses ?? {}).flat();
  const ip = ips.find((a) => a.version !== 6)?.addr ?? ips[0]?.addr;
  return {
    id: s.id,
    name: s.name,
    host: serviceHostOf(s),
    status: s.status,
    vcpus: s.flavor?.vcpus ?? 0,
    memoryMiB: s.flavor?.ram ?? 0,
    ...(ip ? { ip } : {}),
    metadata: s.metadata ?? {},
  };
}

const num = (v: number | null | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function progressOf(m: NovaMigrationJson): Partial<MigrationStatus> {
  const fields = {
    memoryTotalBytes: num(m.memory_total_bytes),
    memoryProcessedBytes: num(m.memory_processed_bytes),
    memoryRemainingBytes: num(m.memory_remaining_bytes),
    diskTotalBytes: num(m.disk_total_bytes),
    diskProcessedBytes: num(m.disk_processed_bytes),
    diskRemainingBytes: num(m.disk_remaining_bytes),
    recordCreatedAt: parseNovaTime(m.created_at),
    recordUpdatedAt: parseNovaTime(m.updated_at),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export interface NovaComputeOptions {
  /** How long an abort waits for a queued/preparing migration to reach `running`. @default 120000 */
  readonly abortWaitMs?: number;
}

export class NovaComputeApi implements ComputeApi {
  constructor(
    private readonly client: NovaClient,
    private readonly now: () => number = Date.now,
    private readonly o: NovaComputeOptions = {},
  ) {}

  async hypervisors(): Promise<NovaHypervisorJson[]> {
    return (await this.client.request<{ hypervisors: NovaHypervisorJson[] }>('GET', '/os-hypervisors/detail')).hypervisors;
  }

  async listHosts(): Promise<readonly ComputeHost[]> {
    return (await this.hypervisors()).map((h) => ({
      name: hostNameOf(h),
      usable: h.state === 'up' && h.status === 'enabled',
      vcpus: h.vcpus,
      memoryMiB: h.memory_mb,
    }));
  }

  async listServers(): Promise<readonly Server[]> {
    const r = await this.client.request<{ servers: NovaServerJson[] }>('GET', '/servers/detail?all_tenants=1');
    return r.servers.map(toServer);
  }

  private async server(id: string): Promise<NovaServerJson> {
    return (await this.client.request<{ server: NovaServerJson }>('GET', `/servers/${encodeURIComponent(id)}`)).server;
  }

  /** Every live-migration record of a server, newest first (GET /os-migrations, 2.23+ filters). */
  private async migrationRecords(serverId: string): Promise<NovaMigrationJson[]> {
    const q = new URLSearchParams({ instance_uuid: serverId, migration_type: 'live-migration' });
    const r = await this.client.request<{ migrations: NovaMigrationJson[] }>('GET', `/os-migrations?${q}`);
    return [...r.migrations].sort((a, b) => b.id - a.id);
  }

  async liveMigrate(serverId: string, targetHost: string): Promise<MigrationHandle> {
    const before = await this.server(serverId);
    const previousMigrationId = (await this.migrationRecords(serverId))[0]?.id;
    try {
      await this.client.request('POST', `/servers/${encodeURIComponent(serverId)}/action`, {
        'os-migrateLive': { host: targetHost, block_migration: 'auto' },
      });
    } catch (err) {
      // No answer is not a refusal: a busy API may still apply the call (a second one would get 409).
      // It was applied once the server has a migration record newer than the one before it.
      if (!(err instanceof OpenStackHttpError && err.status === 0) || !(await this.newMigrationAppears(serverId, previousMigrationId))) throw err;
    }
    const handle: NovaMigrationHandle = {
      serverId,
      sourceHost: serviceHostOf(before),
      targetHost,
      startedAt: this.now(),
      ...(previousMigrationId === undefined ? {} : { previousMigrationId }),
    };
    return handle;
  }

  /** Whether a live-migration record newer than `previousId` appears within `withinMs`. */
  private async newMigrationAppears(serverId: string, previousId: number | undefined, withinMs = 60_000): Promise<boolean> {
    for (const deadline = this.now() + withinMs; ; await sleep(this.client.pollMs)) {
      const latest = (await this.migrationRecords(serverId))[0]?.id;
      if (latest !== undefined && latest > (previousId ?? 0)) return true;
      if (this.now() > deadline) return false;
    }
  }

  async pollMigration(handle: MigrationHandle): Promise<MigrationStatus> {
    const h = handle as NovaMigrationHandle;
    const id = encodeURIComponent(h.serverId);
    const r = await this.client.request<{ migrations: NovaMigrationJson[] }>('GET', `/servers/${id}/migrations`);
    const inProgress = r.migrations.find((m) => (h.migrationId ? String(m.id) === h.migrationId : m.id > (h.previousMigrationId ?? 0)));
    if (inProgress) {
      return {
        handle: { ...h, migrationId: String(inProgress.id) },
        state: RUNNING.has(inProgress.status) ? 'running' : 'queued',
        cloudStatus: inProgress.status,
        ...progressOf(inProgress),
      };
    }
    // Not in progress: the record says whether it has not started yet (accepted) or how it ended.
    const record = (await this.migrationRecords(h.serverId)).find((m) =>
      h.migrationId ? String(m.id) === h.migrationId : m.id > (h.previousMigrationId ?? 0),
    );
    if (!record) {
      // The conductor creates the record after the 202 (2.34+ casts): not there yet.
      return { handle: h, state: 'queued', cloudStatus: 'not yet recorded' };
    }
    const handleWithId = { ...h, migrationId: String(record.id) };
    const times = progressOf({ id: record.id, status: record.status, created_at: record.created_at, updated_at: record.updated_at });
    if (QUEUED.has(record.status) || RUNNING.has(record.status))
      return { handle: handleWithId, state: QUEUED.has(record.status) ? 'queued' : 'running', cloudStatus: record.status, ...times };
    const finishedAt = this.now();
    if (record.status === 'cancelled') return { handle: handleWithId, state: 'aborted', cloudStatus: record.status, finishedAt, ...times };
    if (record.status === 'completed') {
      const s = toServer(await this.server(h.serverId));
      if (s.host === h.targetHost) return { handle: handleWithId, state: 'completed', cloudStatus: record.status, finishedAt, ...times };
      return {
        handle: handleWithId,
        state: 'failed',
        cloudStatus: record.status,
        finishedAt,
        error: `Nova's migration ${record.id} is completed but the server is ${s.status} on ${s.host || 'an unknown host'} (target was ${h.targetHost})`,
        ...times,
      };
    }
    return {
      handle: handleWithId,
      state: 'failed',
      cloudStatus: record.status,
      finishedAt,
      error:
        `Nova's migration ${record.id} ended in status ${record.status}` +
        (FAILED.has(record.status)
          ? ' (a pre-check or the migration failed; the reason is in GET /servers/{id}/os-instance-actions and the nova-conductor/nova-compute logs)'
          : ''),
      ...times,
    };
  }

  /**
   * Aborts the migration. Below 2.65 Nova aborts only a `running` migration (400 otherwise), and a new
   * one starts as accepted/queued/preparing: wait for `running` (or its end: then there is nothing to
   * abort), up to `abortWaitMs`.
   */
  async abortMigration(handle: MigrationHandle): Promise<void> {
    const deadline = this.now() + (this.o.abortWaitMs ?? 120_000);
    for (;;) {
      const st = await this.pollMigration(handle);
      if (st.state !== 'queued' && st.state !== 'running') return; // Already over.
      const mid = st.handle.migrationId;
      if (st.state === 'running' && mid) {
        try {
          await this.client.request('DELETE', `/servers/${encodeURIComponent(handle.serverId)}/migrations/${encodeURIComponent(mid)}`);
          return;
        } catch (err) {
          // 400: the record left `running` between the poll and the DELETE (post-migrating, or ended); look again.
          if (!(err instanceof OpenStackHttpError && err.status === 400)) throw err;
        }
      }
      if (this.now() > deadline) {
        throw new Error(
          `cannot abort migration ${mid ?? '(not recorded yet)'} of ${handle.serverId}: still ${st.cloudStatus ?? st.state} after ${this.o.abortWaitMs ?? 120_000} ms; ` +
            `Nova below 2.65 aborts only a running live migration`,
        );
      }
      await sleep(this.client.pollMs);
    }
  }

  /** Flavor name (2.47+ shows only `original_name`) → id, which is what POST /servers takes. */
  private async flavorId(name: string | undefined): Promise<string> {
    const r = await this.client.request<{ flavors: Array<{ id: string; name: string }> }>('GET', '/flavors/detail?is_public=None');
    const f = r.flavors.find((x) => x.name === name);
    if (!f) throw new Error(`no flavor named ${JSON.stringify(name)} in GET /flavors/detail; got ${JSON.stringify(r.flavors.map((x) => x.name))}`);
    return f.id;
  }

  /** The Neutron networks of a server's ports (os-interface), so that the copy is on the same networks. */
  private async networksOf(serverId: string): Promise<Array<{ uuid: string }>> {
    const r = await this.client.request<{ interfaceAttachments: Array<{ net_id: string }> }>(
      'GET',
      `/servers/${encodeURIComponent(serverId)}/os-interface`,
    );
    return [...new Set(r.interfaceAttachments.map((i) => i.net_id))].map((uuid) => ({ uuid }));
  }

  /** The boot volume of a server booted from a volume: its image, size and volume type (Cinder). */
  private async bootVolumeOf(like: NovaServerJson): Promise<{ imageId: string; sizeGb: number; volumeType: string }> {
    const vols = like['os-extended-volumes:volumes_attached'] ?? [];
    const root = like['OS-EXT-SRV-ATTR:root_device_name'] ?? '/dev/vda';
    const details = await Promise.all(
      vols.map(
        async (v) =>
          (
            await this.client.request<{
              volume: {
                id: string;
                size: number;
                volume_type: string;
                bootable?: string;
                attachments?: Array<{ server_id: string; device: string }>;
                volume_image_metadata?: { image_id?: string };
              };
            }>('GET', `/volumes/${encodeURIComponent(v.id)}`, undefined, { service: 'volume' })
          ).volume,
      ),
    );
    const boot =
      details.find((d) => d.attachments?.some((a) => a.server_id === like.id && a.device === root)) ?? details.find((d) => d.bootable === 'true');
    const imageId = boot?.volume_image_metadata?.image_id;
    if (!boot || !imageId) {
      throw new Error(
        `server ${like.name} (${like.id}) has no image and no boot volume made from an image (volumes ${JSON.stringify(vols.map((v) => v.id))}); ` +
          'a copy needs an image to make its own volume from',
      );
    }
    return { imageId, sizeGb: boot.size, volumeType: boot.volume_type };
  }

  async bootServer(req: BootRequest): Promise<Server> {
    const like = await this.server(req.likeServerId);
    const image = typeof like.image === 'object' ? like.image?.id : undefined;
    const [flavorRef, networks] = await Promise.all([this.flavorId(like.flavor?.original_name), this.networksOf(like.id)]);
    const metadata = { ...req.metadata, 'testbed-policy': 'created' };
    const common = { name: req.name, flavorRef, networks: networks.length ? networks : 'auto', metadata };
    let r: { server: { id: string } };
    if (image) {
      r = await this.client.request('POST', '/servers', { server: { ...common, imageRef: image } });
    } else {
      const v = await this.bootVolumeOf(like);
      const bdm = {
        boot_index: 0,
        uuid: v.imageId,
        source_type: 'image',
        destination_type: 'volume',
        volume_size: v.sizeGb,
        volume_type: v.volumeType,
        delete_on_termination: true,
      };
      r = await this.client.request(
        'POST',
        '/servers',
        { server: { ...common, block_device_mapping_v2: [bdm] } },
        {
          microversion: BOOT_FROM_VOLUME_MICROVERSION,
          needs: 'a boot-from-volume copy sets its volume type in block_device_mapping_v2, which needs 2.67',
        },
      );
    }
    return {
      id: r.server.id,
      name: req.name,
      host: '',
      status: 'BUILD',
      vcpus: like.flavor?.vcpus ?? 0,
      memoryMiB: like.flavor?.ram ?? 0,
      metadata,
    };
  }

  async deleteServer(serverId: string): Promise<void> {
    await this.client.request('DELETE', `/servers/${encodeURIComponent(serverId)}`);
  }

  /**
   * The accelerator a server runs under, from its diagnostics' `hypervisor` (libvirt's configured
   * virt_type: `kvm`, or `qemu` for TCG). os-hypervisors' hypervisor_type says "QEMU" for both.
   */
  async acceleratorOf(serverId: string): Promise<'kvm' | 'tcg' | 'unknown'> {
    try {
      const d = await this.client.request<{ hypervisor?: string | null }>('GET', `/servers/${encodeURIComponent(serverId)}/diagnostics`);
      return d.hypervisor === 'kvm' ? 'kvm' : d.hypervisor === 'qemu' ? 'tcg' : 'unknown';
    } catch {
      return 'unknown';
    }
  }
}

export { novaFaultMessage };
