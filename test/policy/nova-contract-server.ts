/**
 * A local HTTP server (node:http on 127.0.0.1, random port) that follows the documented contract of
 * the Keystone v3, Nova v2.1 and Cinder v3 calls the policy job and the cloud executor use. Each rule
 * below is Nova's, checked against its source (openstack/nova, nova/api/openstack/compute/*.py,
 * nova/compute/api.py, rest_api_version_history.rst); error bodies have Nova's shape
 * `{"badRequest": {"code": 400, "message": "..."}}` (itemNotFound 404, conflictingRequest 409).
 *
 * - POST /v3/auth/tokens → 201, token in X-Subject-Token, catalog with compute and volumev3; 401 otherwise.
 * - Every compute call needs X-Auth-Token (401) and honours `OpenStack-API-Version: compute X.Y`:
 *   406 outside [2.1, max]; a route below its microversion answers 404 as Nova's router does.
 * - Hypervisors (hypervisors.py): from 2.53 `id` and `service.id` are UUIDs; `service.host` (the name
 *   os-migrateLive and the servers' `OS-EXT-SRV-ATTR:host` use) differs from `hypervisor_hostname`
 *   (the node name) by default, as it does on many clouds (short host name vs FQDN).
 * - os-migrateLive (migrate_server.py, schemas/migrate_server.py): from 2.25 the body is exactly
 *   `{host, block_migration: true|false|"auto"}` (+ `force` 2.30–2.67); `host` must be a service
 *   host (ComputeNodeList.get_all_by_host), else 400 "Compute host X could not be found." even at
 *   2.34+; 409 while the server is not ACTIVE with no task. From 2.34 the pre-checks (same host,
 *   host down or disabled) run in the conductor: 202, then the migration record goes to `error`
 *   and the server stays ACTIVE on its source; below 2.34 they answer 400.
 * - A live migration's record starts `accepted` (not listed by GET /servers/{id}/migrations, whose
 *   in-progress filter is queued/preparing/running/post-migrating: db/main/api.py), then `queued`,
 *   `preparing`, `running`, then `completed` (or `error`, `cancelled`). It advances one step per
 *   GET of the server's migrations; `running` lasts `migrationPolls` such GETs. Every record, ended
 *   ones too, is listed by GET /os-migrations (2.23+: `migration_type`, filters instance_uuid,
 *   migration_type, status), with `created_at`/`updated_at` at Nova's 1 s resolution.
 * - Abort, DELETE /servers/{id}/migrations/{mid} (server_migrations.py, compute/api.py): 2.24+;
 *   409 unless the server's task is migrating; 404 for an unknown migration; 400 unless the record
 *   is `running` (from 2.65 also `queued`/`preparing`); 202, then the record is `cancelled`.
 * - POST /servers (servers.py, schemas/servers.py): `flavorRef` is a flavor ID (400 "Flavor X could
 *   not be found."); without `imageRef` a `block_device_mapping_v2` is needed (400 "Missing imageRef
 *   attribute"); `networks` is required from 2.37; a BDM's `volume_type` only from 2.67 (400
 *   "Additional properties are not allowed"). Flavors have generated UUID ids, as the playbooks
 *   create them (no fixed id); GET /flavors/detail lists them.
 * - Diagnostics from 2.48 (libvirt driver get_instance_diagnostics): `memory_details` is
 *   virDomainGetInfo's maxMem and memory (the domain's allocation, KiB) divided by 2^20 and
 *   truncated to integers: it says nothing about what the guest uses. `hypervisor` is the
 *   configured virt_type (kvm or qemu).
 * - Diagnostics before 2.48 (libvirt driver get_diagnostics): the driver's dict: `cpu<N>_time` (ns)
 *   per vCPU, `vda_read`/`_read_req`/`_write`/`_write_req`/`_errors` per disk,
 *   `<tap>_rx`/`_rx_packets`/`_rx_errors`/`_rx_drop` and the same for `_tx` per interface, `memory`
 *   (maxMemory, KiB) and `memory-<stat>` for each virDomainMemoryStats entry (KiB): `actual` and
 *   `rss` always, `unused`, `available`, `usable`, `last_update`, `disk_caches`... only from a guest
 *   whose virtio balloon driver reports them (every FakeServer's does).
 * - Cinder GET /v3/{project}/volumes/{id}: size, volume_type, volume_image_metadata.image_id.
 *
 * What real Nova cannot be made to do on demand, the state's `faults` do: `fail5xx` next compute
 * calls answer 503, `slowMs` delays every answer, `slowActionMs` delays only server actions (then
 * applies them, as a stalled API does once it gets to them), `stuck` keeps running migrations running.
 *
 * Run by the tests in-process, or by hand: `npx tsx test/policy/nova-contract-server.ts` prints the
 * OS_* variables to use.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServer {
  id: string;
  name: string;
  /** Service host (`OS-EXT-SRV-ATTR:host`). */
  host: string;
  status: string;
  vcpus: number;
  ramMiB: number;
  ip: string;
  metadata: Record<string, string>;
  /** What diagnostics report (CPU time and NIC counters grow at these rates). */
  cpuPct: number;
  /** What the guest uses of its RAM: in the balloon statistics of the diagnostics before 2.48. */
  ramPct: number;
  netBytesPerS: number;
  bornAt: number;
  /** Flavor name (the flavor's id is looked up in `flavors`). @default 'm1.small' */
  flavor?: string;
  /** Image id; absent or '' for a server booted from a volume. @default IMAGE_ID */
  image?: string;
  /** Boot volume id (boot from volume). */
  bootVolume?: string;
  /** Neutron network id of its port. @default NETWORK_ID */
  network?: string;
  /** What POST /servers received, for the tests. */
  created?: unknown;
}

export interface ContractOptions {
  readonly username?: string;
  readonly password?: string;
  /** Highest compute microversion this "cloud" supports. @default '2.96' */
  readonly maxMicroversion?: string;
  /** GETs of a server's migrations that a migration stays `running` before it completes. @default 2 */
  readonly migrationPolls?: number;
}

export interface FakeMigration {
  id: number;
  serverId: string;
  source: string;
  dest: string;
  status: string;
  polls: number;
  /** ms epoch; @default - now */
  createdAt?: number;
  updatedAt?: number;
  /** Set when the record ends in `error`: why (the conductor's pre-check). */
  error?: string;
}

export interface FakeHypervisor {
  /** Service host: what os-migrateLive's `host` and the servers' `OS-EXT-SRV-ATTR:host` name. */
  name: string;
  /** `hypervisor_hostname` (the node). @default `${name}.testbed.example` */
  nodename?: string;
  vcpus: number;
  memoryMiB: number;
  state: 'up' | 'down';
  status: 'enabled' | 'disabled';
  uuid?: string;
}

export interface FakeVolume {
  id: string;
  sizeGb: number;
  volumeType: string;
  imageId: string;
}

export interface ContractState {
  hypervisors: FakeHypervisor[];
  servers: FakeServer[];
  migrations: FakeMigration[];
  flavors: Array<{ id: string; name: string; vcpus: number; ram: number; disk: number }>;
  images: string[];
  volumes: FakeVolume[];
  faults: { fail5xx: number; slowMs: number; slowActionMs?: number; stuck: boolean };
  /** Every request: method, path, and the headers the contract cares about (the token is masked). */
  log: Array<{ method: string; path: string; token: boolean; microversion?: string; body?: unknown; status?: number }>;
}

export interface ContractServer {
  readonly authUrl: string;
  readonly env: Record<string, string>;
  readonly state: ContractState;
  close(): Promise<void>;
}

export const IMAGE_ID = '5f1b6a1e-0b7d-4a43-9a57-3c0f4f1d2a10';
export const NETWORK_ID = '0d9c2d1c-5a0e-4b8e-8f7e-7d3c1b2a4e55';
export const PROJECT_ID = '8a5e1f3c2b4d4e6f9a0b1c2d3e4f5a6b';
const IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];
const LIFECYCLE = ['accepted', 'queued', 'preparing', 'running'];

const mv = (v: string): number => {
  const [a, b] = v.split('.').map(Number);
  return (a ?? 0) * 1000 + (b ?? 0);
};

/** Nova's timestamp format: naive UTC, microseconds always 0 (the DB keeps whole seconds). */
export function novaTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}.000000`;
}

export function defaultState(): ContractState {
  const now = Date.now();
  const vm = (name: string, host: string, cpuPct: number, ramPct: number): FakeServer => ({
    id: randomUUID(),
    name,
    host,
    status: 'ACTIVE',
    vcpus: 2,
    ramMiB: 2048,
    ip: `10.20.0.${10 + name.length}`,
    metadata: {},
    cpuPct,
    ramPct,
    netBytesPerS: 1000,
    bornAt: now - 60_000,
  });
  const bfvVolume: FakeVolume = { id: randomUUID(), sizeGb: 20, volumeType: 'bluestore', imageId: IMAGE_ID };
  return {
    hypervisors: [
      { name: 'compute-1', vcpus: 16, memoryMiB: 65536, state: 'up', status: 'enabled' },
      { name: 'compute-2', vcpus: 16, memoryMiB: 65536, state: 'up', status: 'enabled' },
    ],
    servers: [
      vm('web-1', 'compute-1', 10, 15),
      vm('web-2', 'compute-2', 5, 8),
      { ...vm('db-1', 'compute-1', 50, 50), image: '', bootVolume: bfvVolume.id },
    ],
    migrations: [],
    // Ids as Nova generates them when a flavor is created without one (the playbooks do that).
    flavors: [
      { id: randomUUID(), name: 'm1.small', vcpus: 2, ram: 2048, disk: 20 },
      { id: randomUUID(), name: 'm1.large', vcpus: 8, ram: 16384, disk: 80 },
    ],
    images: [IMAGE_ID],
    volumes: [bfvVolume],
    faults: { fail5xx: 0, slowMs: 0, stuck: false },
    log: [],
  };
}

export async function startNovaContract(o: ContractOptions = {}, state: ContractState = defaultState()): Promise<ContractServer> {
  const username = o.username ?? 'policy';
  const password = o.password ?? 'contract-secret';
  const max = o.maxMicroversion ?? '2.96';
  const polls = o.migrationPolls ?? 2;
  const tokens = new Set<string>();
  let nextMigration = 1;
  let base = '';

  const uuidOf = (h: FakeHypervisor): string => (h.uuid ??= randomUUID());
  const nodeOf = (h: FakeHypervisor): string => h.nodename ?? `${h.name}.testbed.example`;
  const flavorOf = (s: FakeServer) => state.flavors.find((f) => f.name === (s.flavor ?? 'm1.small')) ?? state.flavors[0]!;

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const entry = state.log.at(-1);
    if (entry) entry.status = status;
    res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json' } : {}), ...headers });
    res.end(text);
  };
  const fault = (res: ServerResponse, status: number, key: string, message: string): void => send(res, status, { [key]: { code: status, message } });
  const badRequest = (res: ServerResponse, message: string) => fault(res, 400, 'badRequest', message);
  const invalidInput = (res: ServerResponse, field: string, value: unknown, message: string) =>
    badRequest(res, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${message}`);

  const serverJson = (s: FakeServer, version: number) => {
    const f = flavorOf(s);
    const hyp = state.hypervisors.find((h) => h.name === s.host);
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      'OS-EXT-SRV-ATTR:host': s.host,
      'OS-EXT-SRV-ATTR:hypervisor_hostname': hyp ? nodeOf(hyp) : null,
      'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
      'OS-EXT-STS:task_state': s.status === 'MIGRATING' ? 'migrating' : null,
      flavor:
        version >= mv('2.47')
          ? { original_name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: 0, swap: 0 }
          : { id: f.id, links: [{ rel: 'bookmark', href: `${base}/compute/flavors/${f.id}` }] },
      // Nova shows "" for a server booted from a volume.
      image: s.image === '' || s.bootVolume ? '' : { id: s.image ?? IMAGE_ID, links: [] },
      'os-extended-volumes:volumes_attached': s.bootVolume ? [{ id: s.bootVolume, delete_on_termination: false }] : [],
      addresses: { private: [{ addr: s.ip, version: 4 }] },
      metadata: s.metadata,
    };
  };

  const migrationJson = (x: FakeMigration, s: FakeServer | undefined) => {
    const total = (s?.ramMiB ?? 0) * 1024 * 1024;
    const running = x.status === 'running' || x.status === 'completed';
    const done = x.status === 'completed' ? 1 : running ? Math.min(1, x.polls / (polls + 1)) : 0;
    return {
      id: x.id,
      server_uuid: x.serverId,
      status: x.status,
      source_compute: x.source,
      source_node: nodeOf(
        state.hypervisors.find((h) => h.name === x.source) ?? { name: x.source, vcpus: 0, memoryMiB: 0, state: 'up', status: 'enabled' },
      ),
      dest_compute: x.dest,
      dest_host: null,
      dest_node: null,
      created_at: novaTime(x.createdAt ?? Date.now()),
      updated_at: x.updatedAt === undefined ? null : novaTime(x.updatedAt),
      // Shared RBD storage: block_migration "auto" copies no disk.
      disk_total_bytes: running ? 0 : null,
      disk_processed_bytes: running ? 0 : null,
      disk_remaining_bytes: running ? 0 : null,
      memory_total_bytes: running ? total : null,
      memory_processed_bytes: running ? Math.round(total * done) : null,
      memory_remaining_bytes: running ? Math.round(total * (1 - done)) : null,
    };
  };

  /** One step of a migration's life, on each GET of the server's migrations. */
  const advance = (x: FakeMigration, s: FakeServer): void => {
    const step = LIFECYCLE.indexOf(x.status);
    if (step < 0) return;
    if (x.status !== 'running') x.status = LIFECYCLE[step + 1]!;
    else if (state.faults.stuck || ++x.polls <= polls) return;
    else {
      x.status = 'completed';
      s.host = x.dest;
      s.status = 'ACTIVE';
    }
    x.updatedAt = Date.now();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const apiVersion = req.headers['openstack-api-version'];
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      state.log.push({ method, path, token: false });
      return badRequest(res, 'Malformed request body');
    }
    state.log.push({
      method,
      path,
      token: typeof req.headers['x-auth-token'] === 'string',
      microversion: typeof apiVersion === 'string' ? apiVersion : undefined,
      ...(method === 'POST' && !path.includes('auth/tokens') ? { body } : {}),
    });
    if (state.faults.slowMs > 0) await new Promise((r) => setTimeout(r, state.faults.slowMs));
    if ((state.faults.slowActionMs ?? 0) > 0 && method === 'POST' && path.endsWith('/action'))
      await new Promise((r) => setTimeout(r, state.faults.slowActionMs));

    if (path === '/identity/v3/auth/tokens' && method === 'POST') {
      const b = body as {
        auth?: {
          identity?: { methods?: string[]; password?: { user?: { name?: string; password?: string; domain?: { name?: string } } } };
          scope?: { project?: { name?: string } };
        };
      };
      const user = b?.auth?.identity?.password?.user;
      if (!b?.auth?.identity?.methods?.includes('password') || user?.name !== username || user?.password !== password || !user?.domain?.name) {
        return send(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
      }
      if (!b.auth.scope?.project?.name) return send(res, 400, { error: { code: 400, message: 'project scope required', title: 'Bad Request' } });
      const token = randomUUID().replace(/-/g, '');
      tokens.add(token);
      const expires = new Date(Date.now() + 3600_000).toISOString();
      const endpoint = (type: string, name: string, url: string) => ({
        type,
        name,
        endpoints: [{ interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url }],
      });
      return send(
        res,
        201,
        {
          token: {
            methods: ['password'],
            expires_at: expires,
            project: { id: PROJECT_ID, name: b.auth.scope.project.name },
            catalog: [endpoint('compute', 'nova', `${base}/compute/v2.1`), endpoint('volumev3', 'cinderv3', `${base}/volume/v3/${PROJECT_ID}`)],
          },
        },
        { 'X-Subject-Token': token },
      );
    }

    const token = req.headers['x-auth-token'];
    const authorized = typeof token === 'string' && tokens.has(token);
    if (path.startsWith('/volume/v3/')) {
      if (!authorized)
        return send(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
      const vm = /^\/volume\/v3\/([^/]+)\/volumes\/([^/]+)$/.exec(path);
      if (!vm || method !== 'GET') return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
      if (vm[1] !== PROJECT_ID) return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
      const v = state.volumes.find((x) => x.id === decodeURIComponent(vm[2]!));
      if (!v) return fault(res, 404, 'itemNotFound', `Volume ${vm[2]} could not be found.`);
      const attached = state.servers.filter((s) => s.bootVolume === v.id);
      return send(res, 200, {
        volume: {
          id: v.id,
          size: v.sizeGb,
          volume_type: v.volumeType,
          bootable: 'true',
          status: attached.length ? 'in-use' : 'available',
          attachments: attached.map((s) => ({ server_id: s.id, device: '/dev/vda', volume_id: v.id })),
          volume_image_metadata: { image_id: v.imageId },
        },
      });
    }

    if (!path.startsWith('/compute/v2.1/')) return fault(res, 404, 'itemNotFound', 'Not found');
    if (!authorized)
      return send(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    // Microversion: absent → 2.1; "latest" → max; outside [2.1, max] → 406.
    let version = mv('2.1');
    if (typeof apiVersion === 'string') {
      const m = /^compute\s+(latest|\d+\.\d+)$/i.exec(apiVersion.trim());
      if (!m) return badRequest(res, `Invalid API version request string ${apiVersion}`);
      version = m[1] === 'latest' ? mv(max) : mv(m[1]!);
      if (version < mv('2.1') || version > mv(max)) {
        return fault(res, 406, 'computeFault', `Version ${m[1]} is not supported by the API. Minimum is 2.1 and maximum is ${max}.`);
      }
    }
    const vHeader = { 'OpenStack-API-Version': `compute ${Math.floor(version / 1000)}.${version % 1000}`, Vary: 'OpenStack-API-Version' };
    if (state.faults.fail5xx > 0) {
      state.faults.fail5xx -= 1;
      return fault(res, 503, 'computeFault', 'Service Unavailable');
    }
    const rest = path.slice('/compute/v2.1'.length);
    const byId = (id: string) => state.servers.find((s) => s.id === id);
    const uuids = version >= mv('2.53');

    if (method === 'GET' && rest === '/os-hypervisors/detail') {
      return send(
        res,
        200,
        {
          hypervisors: state.hypervisors.map((h, i) => ({
            id: uuids ? uuidOf(h) : i + 1,
            hypervisor_hostname: nodeOf(h),
            hypervisor_type: 'QEMU',
            hypervisor_version: 8002000,
            host_ip: `10.20.0.${20 + i}`,
            state: h.state,
            status: h.status,
            service: { id: uuids ? randomUUID() : 10 + i, host: h.name, disabled_reason: h.status === 'disabled' ? 'maintenance' : null },
            vcpus: h.vcpus,
            memory_mb: h.memoryMiB,
            memory_mb_used: 512 + state.servers.filter((s) => s.host === h.name).reduce((a, s) => a + s.ramMiB, 0),
          })),
        },
        vHeader,
      );
    }
    if (method === 'GET' && rest === '/flavors/detail') {
      return send(res, 200, { flavors: state.flavors.map((f) => ({ ...f, 'os-flavor-access:is_public': true, links: [] })) }, vHeader);
    }
    if (method === 'GET' && rest === '/os-migrations') {
      const q = url.searchParams;
      const list = state.migrations
        .filter((x) => !q.get('instance_uuid') || x.serverId === q.get('instance_uuid'))
        .filter((x) => !q.get('status') || x.status === q.get('status'))
        .filter(() => !q.get('migration_type') || q.get('migration_type') === 'live-migration')
        .map((x) => {
          const { server_uuid, ...j } = migrationJson(x, byId(x.serverId));
          // os-migrations has no byte counters; 2.23 adds migration_type.
          return {
            ...Object.fromEntries(Object.entries(j).filter(([k]) => !k.endsWith('_bytes'))),
            instance_uuid: server_uuid,
            ...(version >= mv('2.23') ? { migration_type: 'live-migration' } : {}),
          };
        });
      return send(res, 200, { migrations: list }, vHeader);
    }
    if (method === 'GET' && rest === '/servers/detail') return send(res, 200, { servers: state.servers.map((s) => serverJson(s, version)) }, vHeader);
    if (method === 'POST' && rest === '/servers') return createServerCall(res, body, version, vHeader);

    const m = /^\/servers\/([^/]+)(\/action|\/migrations(?:\/([^/]+))?|\/diagnostics|\/os-interface)?$/.exec(rest);
    if (!m) return fault(res, 404, 'itemNotFound', `Unknown resource ${rest}`);
    const s = byId(decodeURIComponent(m[1]!));
    if (!s) return fault(res, 404, 'itemNotFound', `Instance ${m[1]} could not be found.`);
    const sub = m[2];

    if (!sub && method === 'GET') return send(res, 200, { server: serverJson(s, version) }, vHeader);
    if (!sub && method === 'DELETE') {
      state.servers = state.servers.filter((x) => x !== s);
      return send(res, 204, undefined, vHeader);
    }
    if (sub === '/os-interface' && method === 'GET') {
      return send(
        res,
        200,
        {
          interfaceAttachments: [
            {
              net_id: s.network ?? NETWORK_ID,
              port_id: randomUUID(),
              port_state: 'ACTIVE',
              fixed_ips: [{ ip_address: s.ip }],
              mac_addr: 'fa:16:3e:00:00:01',
            },
          ],
        },
        vHeader,
      );
    }
    if (sub === '/action' && method === 'POST') return migrateLiveCall(res, s, body, version, vHeader);
    if (sub?.startsWith('/migrations')) {
      if (version < mv('2.23')) return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
      const mid = m[3];
      if (method === 'GET' && !mid) {
        for (const x of state.migrations.filter((y) => y.serverId === s.id)) advance(x, s);
        const inProgress = state.migrations.filter((x) => x.serverId === s.id && IN_PROGRESS.includes(x.status));
        return send(res, 200, { migrations: inProgress.map((x) => migrationJson(x, s)) }, vHeader);
      }
      if (method === 'DELETE' && mid) {
        if (version < mv('2.24')) return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
        if (s.status !== 'MIGRATING') {
          return fault(res, 409, 'conflictingRequest', `Cannot 'abort live migration' instance ${s.id} while it is in task_state None`);
        }
        const x = state.migrations.find((y) => y.serverId === s.id && String(y.id) === mid);
        if (!x) return fault(res, 404, 'itemNotFound', `Migration ${mid} not found for instance ${s.id}`);
        const allowed = version >= mv('2.65') ? ['running', 'queued', 'preparing'] : ['running'];
        if (!allowed.includes(x.status)) {
          return badRequest(
            res,
            `Migration ${mid} state of instance ${s.id} is ${x.status}. Cannot abort live migration while the migration is in this state.`,
          );
        }
        x.status = 'cancelled';
        x.updatedAt = Date.now();
        s.status = 'ACTIVE';
        return send(res, 202, undefined, vHeader);
      }
    }
    if (sub === '/diagnostics' && method === 'GET') {
      const elapsed = (Date.now() - s.bornAt) / 1000;
      const perCpuNs = ((s.cpuPct / 100) * elapsed * 1e9) | 0;
      if (version < mv('2.48')) return send(res, 200, legacyDiagnostics(s, elapsed, perCpuNs), vHeader);
      // libvirt: virDomainGetInfo's maxMem and memory in KiB, divided by units.Mi, kept as integers.
      const allocationKiB = s.ramMiB * 1024;
      return send(
        res,
        200,
        {
          state: 'running',
          driver: 'libvirt',
          hypervisor: 'kvm',
          hypervisor_os: 'linux',
          num_cpus: s.vcpus,
          cpu_details: Array.from({ length: s.vcpus }, (_, id) => ({ id, time: perCpuNs, utilisation: null })),
          memory_details: { maximum: Math.trunc(allocationKiB / 1048576), used: Math.trunc(allocationKiB / 1048576) },
          nic_details: [
            {
              mac_address: 'fa:16:3e:00:00:01',
              rx_octets: Math.round((s.netBytesPerS / 2) * elapsed),
              tx_octets: Math.round((s.netBytesPerS / 2) * elapsed),
            },
          ],
          uptime: Math.round(elapsed),
        },
        vHeader,
      );
    }
    return fault(res, 405, 'badMethod', `${method} not allowed on ${rest}`);
  };

  const migrateLiveCall = (res: ServerResponse, s: FakeServer, body: unknown, version: number, vHeader: Record<string, string>): void => {
    const action = body as Record<string, unknown> | undefined;
    const live = action?.['os-migrateLive'] as Record<string, unknown> | undefined;
    if (!live) return badRequest(res, 'There is no such action: ' + Object.keys(action ?? {}).join(','));
    // The schema of 2.25+ (2.30–2.67 also allow force).
    const allowed =
      version >= mv('2.25')
        ? ['host', 'block_migration', ...(version >= mv('2.30') && version < mv('2.68') ? ['force'] : [])]
        : ['host', 'block_migration', 'disk_over_commit'];
    const extra = Object.keys(live).filter((k) => !allowed.includes(k));
    if (extra.length)
      return invalidInput(res, 'os-migrateLive', live, `Additional properties are not allowed ('${extra.join("', '")}' were unexpected)`);
    for (const k of allowed.filter((k) => k !== 'force')) {
      if (!(k in live)) return invalidInput(res, 'os-migrateLive', live, `'${k}' is a required property`);
    }
    const bm = live.block_migration;
    if (!(typeof bm === 'boolean' || (bm === 'auto' && version >= mv('2.25')))) {
      return invalidInput(
        res,
        'block_migration',
        bm,
        `${JSON.stringify(bm)} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'${version >= mv('2.25') ? ", 'auto'" : ''}]`,
      );
    }
    const host = live.host as string | null;
    if (host !== null && typeof host !== 'string') return invalidInput(res, 'host', host, `${JSON.stringify(host)} is not of type 'string', 'null'`);
    // compute/api.py: ComputeNodeList.get_all_by_host(context, host_name) names a service host.
    const target =
      host === null
        ? state.hypervisors.find((h) => h.name !== s.host && h.state === 'up' && h.status === 'enabled')
        : state.hypervisors.find((h) => h.name === host);
    if (host !== null && !target) return badRequest(res, `Compute host ${host} could not be found.`);
    if (s.status !== 'ACTIVE' || state.migrations.some((x) => x.serverId === s.id && [...LIFECYCLE, 'post-migrating'].includes(x.status))) {
      return fault(res, 409, 'conflictingRequest', `Cannot 'os-migrateLive' instance ${s.id} while it is in task_state migrating`);
    }
    const precheck = !target
      ? 'No valid host was found. There are not enough hosts available.'
      : target.name === s.host
        ? `Unable to migrate instance (${s.id}) to current host (${s.host}).`
        : target.state !== 'up' || target.status !== 'enabled'
          ? `Compute service of ${target.name} is unavailable at this time.`
          : undefined;
    if (precheck && version < mv('2.34')) return badRequest(res, precheck);
    const now = Date.now();
    const x: FakeMigration = {
      id: nextMigration++,
      serverId: s.id,
      source: s.host,
      dest: target?.name ?? '',
      status: 'accepted',
      polls: 0,
      createdAt: now,
    };
    state.migrations.push(x);
    if (precheck) {
      // 2.34+: the conductor's pre-checks fail after the 202; the server keeps running on its source.
      x.status = 'error';
      x.error = precheck;
      x.updatedAt = now;
    } else {
      s.status = 'MIGRATING';
    }
    return send(res, 202, undefined, vHeader);
  };

  const createServerCall = (res: ServerResponse, body: unknown, version: number, vHeader: Record<string, string>): void => {
    const b = (body as { server?: Record<string, unknown> } | undefined)?.server;
    if (!b) return invalidInput(res, 'server', body, "'server' is a required property");
    for (const k of ['name', 'flavorRef', ...(version >= mv('2.37') ? ['networks'] : [])]) {
      if (!(k in b)) return invalidInput(res, 'server', b, `'${k}' is a required property`);
    }
    const flavorRef = String(b.flavorRef).split('/').at(-1)!;
    const flavor = state.flavors.find((f) => f.id === flavorRef);
    if (!flavor) return badRequest(res, `Flavor ${flavorRef} could not be found.`);
    const bdms = (b.block_device_mapping_v2 as Array<Record<string, unknown>> | undefined) ?? [];
    const bdmKeys = [
      'boot_index',
      'uuid',
      'source_type',
      'destination_type',
      'volume_size',
      'delete_on_termination',
      'device_name',
      'disk_bus',
      'device_type',
      'guest_format',
      'tag',
    ];
    if (version >= mv('2.67')) bdmKeys.push('volume_type');
    for (const [i, d] of bdms.entries()) {
      const extra = Object.keys(d).filter((k) => !bdmKeys.includes(k));
      if (extra.length)
        return invalidInput(res, `block_device_mapping_v2/${i}`, d, `Additional properties are not allowed ('${extra.join("', '")}' was unexpected)`);
      if (!['volume', 'image', 'snapshot', 'blank'].includes(String(d.source_type)))
        return invalidInput(res, `block_device_mapping_v2/${i}/source_type`, d.source_type, "is not one of ['volume', 'image', 'snapshot', 'blank']");
      if (d.source_type === 'image' && !state.images.includes(String(d.uuid)))
        return badRequest(res, `Block Device Mapping is Invalid: failed to get image ${String(d.uuid)}.`);
      if (d.destination_type === 'volume' && d.source_type === 'image' && !(Number(d.volume_size) > 0))
        return badRequest(res, "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified");
    }
    const imageRef = b.imageRef as string | undefined;
    if (!imageRef && bdms.length === 0) return badRequest(res, 'Missing imageRef attribute');
    if (imageRef && !state.images.includes(imageRef)) return badRequest(res, 'Can not find requested image');
    const networks = b.networks;
    if (version >= mv('2.37') && !(networks === 'auto' || networks === 'none' || Array.isArray(networks))) {
      return invalidInput(res, 'networks', networks, 'is not valid under any of the given schemas');
    }
    const rootVolume = bdms.find((d) => d.boot_index === 0 && d.destination_type === 'volume');
    let bootVolume: string | undefined;
    if (rootVolume) {
      const v: FakeVolume = {
        id: randomUUID(),
        sizeGb: Number(rootVolume.volume_size),
        volumeType: String(rootVolume.volume_type ?? '__DEFAULT__'),
        imageId: String(rootVolume.uuid),
      };
      state.volumes.push(v);
      bootVolume = v.id;
    }
    const like = state.servers[0]!;
    const s: FakeServer = {
      ...like,
      id: randomUUID(),
      name: String(b.name),
      metadata: (b.metadata as Record<string, string>) ?? {},
      status: 'BUILD',
      bornAt: Date.now(),
      flavor: flavor.name,
      vcpus: flavor.vcpus,
      ramMiB: flavor.ram,
      image: imageRef ?? '',
      ...(bootVolume ? { bootVolume } : { bootVolume: undefined }),
      created: body,
    };
    state.servers.push(s);
    return send(res, 202, { server: { id: s.id, links: [], adminPass: 'never-log-this' } }, vHeader);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => fault(res, 500, 'computeFault', String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authUrl = `${base}/identity/v3`;
  return {
    authUrl,
    env: {
      OS_AUTH_URL: authUrl,
      OS_USERNAME: username,
      OS_PASSWORD: password,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
    },
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const c = await startNovaContract();
  for (const [k, v] of Object.entries(c.env)) console.log(`export ${k}=${v}`);
  console.log('# Ctrl-C to stop');
}

/** libvirt's get_diagnostics dict (before 2.48) for a server `elapsed` s after its birth. */
function legacyDiagnostics(s: FakeServer, elapsed: number, perCpuNs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let id = 0; id < s.vcpus; id++) out[`cpu${id}_time`] = perCpuNs;
  Object.assign(out, { vda_read_req: 1200, vda_read: 49152000, vda_write_req: 300, vda_write: 1228800, vda_errors: -1 });
  const half = Math.round((s.netBytesPerS / 2) * elapsed);
  const tap = 'tap6f1e2c3d-4a';
  for (const dir of ['rx', 'tx'])
    Object.assign(out, {
      [`${tap}_${dir}`]: half,
      [`${tap}_${dir}_packets`]: Math.round(half / 1000),
      [`${tap}_${dir}_errors`]: 0,
      [`${tap}_${dir}_drop`]: 0,
    });
  const kib = s.ramMiB * 1024;
  out['memory'] = kib;
  out['memory-actual'] = kib;
  out['memory-rss'] = Math.round(kib * 0.4);
  // The guest's MemTotal is a little below the balloon's size (the kernel's own reservations).
  const available = kib - 40_960;
  const usable = Math.round(available * (1 - s.ramPct / 100));
  Object.assign(out, {
    'memory-swap_in': 0,
    'memory-swap_out': 0,
    'memory-major_fault': 210,
    'memory-minor_fault': 98_000,
    'memory-unused': Math.max(0, usable - 20_000),
    'memory-available': available,
    'memory-usable': usable,
    'memory-last_update': Math.floor(Date.now() / 1000),
    'memory-disk_caches': 20_000,
  });
  return out;
}
