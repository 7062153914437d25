/**
 * A local HTTP server (node:http on 127.0.0.1, random port) that follows the documented contract of
 * the Keystone v3 and Nova v2.1 calls the policy job uses (docs.openstack.org api-ref: identity
 * "Password authentication with scoped authorization", compute "os-migrateLive", "Server migrations",
 * "Servers diagnostics", "Hypervisors"):
 * - POST /v3/auth/tokens → 201, token in X-Subject-Token, catalog with the compute endpoint; 401 otherwise.
 * - every compute call needs X-Auth-Token (401) and honours `OpenStack-API-Version: compute X.Y`:
 *   406 outside [2.1, max]; features below their microversion answer as Nova does (404 / 400).
 * - os-migrateLive → 202; 409 while the server is busy; 400 for an unknown host.
 * - GET /servers/{id}/migrations lists in-progress live migrations (2.23+); DELETE …/{mid} aborts (2.24+).
 * - faults: `fail5xx` next compute calls answer 503, `slowMs` delays every answer, `stuck` never finishes.
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
  host: string;
  status: string;
  vcpus: number;
  ramMiB: number;
  ip: string;
  metadata: Record<string, string>;
  /** What diagnostics report. */
  cpuPct: number;
  ramPct: number;
  netBytesPerS: number;
  bornAt: number;
}

export interface ContractOptions {
  readonly username?: string;
  readonly password?: string;
  /** Highest compute microversion this "cloud" supports. @default '2.96' */
  readonly maxMicroversion?: string;
  /** Polls of GET …/migrations before a migration completes. @default 2 */
  readonly migrationPolls?: number;
}

export interface ContractState {
  hypervisors: Array<{ name: string; vcpus: number; memoryMiB: number; state: 'up' | 'down'; status: 'enabled' | 'disabled' }>;
  servers: FakeServer[];
  migrations: Array<{ id: number; serverId: string; source: string; dest: string; status: string; polls: number }>;
  faults: { fail5xx: number; slowMs: number; stuck: boolean };
  /** Every request: method, path, and the headers the contract cares about (the token is masked). */
  log: Array<{ method: string; path: string; token: boolean; microversion?: string; body?: unknown }>;
}

export interface ContractServer {
  readonly authUrl: string;
  readonly env: Record<string, string>;
  readonly state: ContractState;
  close(): Promise<void>;
}

const mv = (v: string): number => {
  const [a, b] = v.split('.').map(Number);
  return (a ?? 0) * 1000 + (b ?? 0);
};

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
  return {
    hypervisors: [
      { name: 'compute-1', vcpus: 16, memoryMiB: 65536, state: 'up', status: 'enabled' },
      { name: 'compute-2', vcpus: 16, memoryMiB: 65536, state: 'up', status: 'enabled' },
    ],
    servers: [vm('web-1', 'compute-1', 10, 15), vm('web-2', 'compute-2', 5, 8), vm('db-1', 'compute-1', 50, 50)],
    migrations: [],
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

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json' } : {}), ...headers });
    res.end(text);
  };
  const fault = (res: ServerResponse, status: number, key: string, message: string): void => send(res, status, { [key]: { code: status, message } });

  const serverJson = (s: FakeServer, version: number) => ({
    id: s.id,
    name: s.name,
    status: s.status,
    'OS-EXT-SRV-ATTR:host': s.host,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': s.host,
    flavor: version >= mv('2.47') ? { original_name: 'm1.small', vcpus: s.vcpus, ram: s.ramMiB, disk: 20 } : { id: 'm1.small' },
    image: { id: 'cirros' },
    addresses: { private: [{ addr: s.ip, version: 4 }] },
    metadata: s.metadata,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return fault(res, 400, 'badRequest', 'Malformed request body');
    }
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const apiVersion = req.headers['openstack-api-version'];
    state.log.push({
      method,
      path,
      token: typeof req.headers['x-auth-token'] === 'string',
      microversion: typeof apiVersion === 'string' ? apiVersion : undefined,
      ...(path.endsWith('/action') ? { body } : {}),
    });
    if (state.faults.slowMs > 0) await new Promise((r) => setTimeout(r, state.faults.slowMs));

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
      return send(
        res,
        201,
        {
          token: {
            methods: ['password'],
            expires_at: expires,
            catalog: [
              {
                type: 'compute',
                name: 'nova',
                endpoints: [{ interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: `${base}/compute/v2.1` }],
              },
            ],
          },
        },
        { 'X-Subject-Token': token },
      );
    }

    if (!path.startsWith('/compute/v2.1/')) return fault(res, 404, 'itemNotFound', 'Not found');
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !tokens.has(token))
      return send(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    // Microversion: absent → 2.1; "latest" → max; outside [2.1, max] → 406.
    let version = mv('2.1');
    if (typeof apiVersion === 'string') {
      const m = /^compute\s+(latest|\d+\.\d+)$/i.exec(apiVersion.trim());
      if (!m) return fault(res, 400, 'badRequest', `Invalid API version request string ${apiVersion}`);
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

    if (method === 'GET' && rest === '/os-hypervisors/detail') {
      return send(
        res,
        200,
        {
          hypervisors: state.hypervisors.map((h, i) => ({
            id: i + 1,
            hypervisor_hostname: h.name,
            state: h.state,
            status: h.status,
            vcpus: h.vcpus,
            memory_mb: h.memoryMiB,
            memory_mb_used: 512 + state.servers.filter((s) => s.host === h.name).reduce((a, s) => a + s.ramMiB, 0),
          })),
        },
        vHeader,
      );
    }
    if (method === 'GET' && rest === '/servers/detail') return send(res, 200, { servers: state.servers.map((s) => serverJson(s, version)) }, vHeader);
    if (method === 'POST' && rest === '/servers') {
      const b = body as { server?: { name?: string; metadata?: Record<string, string> } };
      if (!b?.server?.name) return fault(res, 400, 'badRequest', "'name' is a required property");
      const s: FakeServer = {
        ...state.servers[0]!,
        id: randomUUID(),
        name: b.server.name,
        metadata: b.server.metadata ?? {},
        status: 'BUILD',
        bornAt: Date.now(),
      };
      state.servers.push(s);
      return send(res, 202, { server: { id: s.id, links: [], adminPass: 'never-log-this' } }, vHeader);
    }
    const m = /^\/servers\/([^/]+)(\/action|\/migrations(?:\/(\d+))?|\/diagnostics)?$/.exec(rest);
    if (!m) return fault(res, 404, 'itemNotFound', `Unknown resource ${rest}`);
    const s = byId(decodeURIComponent(m[1]!));
    if (!s) return fault(res, 404, 'itemNotFound', `Instance ${m[1]} could not be found.`);
    const sub = m[2];

    if (!sub && method === 'GET') return send(res, 200, { server: serverJson(s, version) }, vHeader);
    if (!sub && method === 'DELETE') {
      state.servers = state.servers.filter((x) => x !== s);
      return send(res, 204, undefined, vHeader);
    }
    if (sub === '/action' && method === 'POST') {
      const live = (body as Record<string, { host?: string | null; block_migration?: unknown }>)?.['os-migrateLive'];
      if (!live) return fault(res, 400, 'badRequest', 'Unsupported action');
      if (live.block_migration === 'auto' && version < mv('2.25'))
        return fault(res, 400, 'badRequest', "Invalid input for field/attribute block_migration. Value: auto. 'auto' is not of type 'boolean'");
      if (live.host && !state.hypervisors.some((h) => h.name === live.host))
        return fault(res, 400, 'badRequest', `Compute host ${live.host} could not be found.`);
      if (s.status !== 'ACTIVE' || state.migrations.some((x) => x.serverId === s.id)) {
        return fault(res, 409, 'conflictingRequest', `Cannot 'os-migrateLive' instance ${s.id} while it is in task_state migrating`);
      }
      if (live.host === s.host) return fault(res, 400, 'badRequest', 'The target host is the same as the source');
      state.migrations.push({
        id: nextMigration++,
        serverId: s.id,
        source: s.host,
        dest: live.host ?? state.hypervisors.find((h) => h.name !== s.host)!.name,
        status: 'running',
        polls: 0,
      });
      s.status = 'MIGRATING';
      return send(res, 202, undefined, vHeader);
    }
    if (sub?.startsWith('/migrations')) {
      if (version < mv('2.23')) return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
      const mid = m[3];
      if (method === 'GET' && !mid) {
        const inProgress = state.migrations.filter((x) => x.serverId === s.id);
        for (const x of inProgress) {
          x.polls += 1;
          if (!state.faults.stuck && x.polls > polls) {
            state.migrations = state.migrations.filter((y) => y !== x);
            s.host = x.dest;
            s.status = 'ACTIVE';
          }
        }
        const total = s.ramMiB * 1024 * 1024;
        return send(
          res,
          200,
          {
            migrations: state.migrations
              .filter((x) => x.serverId === s.id)
              .map((x) => ({
                id: x.id,
                server_uuid: s.id,
                status: x.status,
                source_compute: x.source,
                dest_compute: x.dest,
                memory_total_bytes: total,
                memory_processed_bytes: Math.min(total, (total * x.polls) / (polls + 1)),
                memory_remaining_bytes: Math.max(0, total - (total * x.polls) / (polls + 1)),
              })),
          },
          vHeader,
        );
      }
      if (method === 'DELETE' && mid) {
        if (version < mv('2.24')) return fault(res, 404, 'itemNotFound', 'The resource could not be found.');
        const x = state.migrations.find((y) => y.serverId === s.id && String(y.id) === mid);
        if (!x) return fault(res, 404, 'itemNotFound', `Migration ${mid} for instance ${s.id} could not be found.`);
        state.migrations = state.migrations.filter((y) => y !== x);
        s.status = 'ACTIVE';
        return send(res, 202, undefined, vHeader);
      }
    }
    if (sub === '/diagnostics' && method === 'GET') {
      if (version < mv('2.48')) return send(res, 200, { cpu0_time: 0, memory: s.ramMiB * 1024 }, vHeader);
      const elapsed = (Date.now() - s.bornAt) / 1000;
      const perCpuNs = ((s.cpuPct / 100) * elapsed * 1e9) | 0;
      return send(
        res,
        200,
        {
          state: 'running',
          driver: 'libvirt',
          hypervisor: 'kvm',
          num_cpus: s.vcpus,
          cpu_details: Array.from({ length: s.vcpus }, (_, id) => ({ id, time: perCpuNs, utilisation: null })),
          memory_details: { maximum: s.ramMiB, used: Math.round((s.ramMiB * s.ramPct) / 100) },
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
