import { BOOT_FROM_VOLUME_MICROVERSION, NovaClient, NovaComputeApi, NovaMetricsSource } from '../../src/policy/nova-compute.js';
import { RAM_UNKNOWN_WARNING } from '../../src/policy/nova-metrics.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials, OpenStackConfigError, OpenStackHttpError } from '../../src/policy/openstack-auth.js';
import { IMAGE_ID, NETWORK_ID, startNovaContract, type ContractServer } from './nova-contract-server.js';

async function setup(o: Parameters<typeof startNovaContract>[0] = {}, client: { timeoutMs?: number; attempts?: number } = {}) {
  const server = await startNovaContract(o);
  const credentials = loadCredentials(server.env, undefined);
  const nova = new NovaClient({ credentials, retryDelayMs: 5, pollMs: 5, ...client });
  return { server, nova, api: new NovaComputeApi(nova) };
}

/** One request as it goes on the wire, with a fresh token: for sending what the old driver sent. */
async function raw(server: ContractServer, method: string, path: string, body?: unknown, microversion = '2.56') {
  const login = await fetch(`${server.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: server.env.OS_USERNAME, domain: { name: 'Default' }, password: server.env.OS_PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = login.headers.get('X-Subject-Token')!;
  const compute = server.authUrl.replace('/identity/v3', '/compute/v2.1');
  const res = await fetch(`${compute}${path}`, {
    method,
    headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': `compute ${microversion}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, { code?: number; message?: string }>) : undefined };
}

async function pollToEnd(api: NovaComputeApi, handle: Awaited<ReturnType<NovaComputeApi['liveMigrate']>>) {
  const seen = [];
  for (let i = 0; i < 20; i++) {
    const st = await api.pollMigration(handle);
    seen.push(st);
    if (st.state === 'completed' || st.state === 'failed' || st.state === 'aborted') break;
  }
  return seen;
}

describe('the Nova contract server rejects what Nova rejects (the old driver requests among them)', () => {
  let server: ContractServer;
  beforeEach(async () => (server = await startNovaContract({ migrationPolls: 2 })));
  afterEach(async () => server.close());

  it("fails POST /servers with the flavor's name as flavorRef: 400 Flavor … could not be found", async () => {
    // GIVEN the old driver's request: flavorRef = the flavor's original_name, the image of the template
    const r = await raw(server, 'POST', '/servers', { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: 'm1.small', networks: 'auto' } });
    // THEN Nova's answer
    expect(r).toEqual({ status: 400, body: { badRequest: { code: 400, message: 'Flavor m1.small could not be found.' } } });
  });

  it('fails POST /servers with an empty imageRef and no block_device_mapping_v2: 400 Missing imageRef attribute', async () => {
    const flavorId = server.state.flavors[0]!.id;
    const r = await raw(server, 'POST', '/servers', { server: { name: 'x', imageRef: '', flavorRef: flavorId, networks: 'auto' } });
    expect(r).toEqual({ status: 400, body: { badRequest: { code: 400, message: 'Missing imageRef attribute' } } });
  });

  it('fails POST /servers without networks from 2.37, and a BDM volume_type below 2.67', async () => {
    const flavorRef = server.state.flavors[0]!.id;
    const noNet = await raw(server, 'POST', '/servers', { server: { name: 'x', imageRef: IMAGE_ID, flavorRef } });
    expect(noNet.status).toBe(400);
    expect(noNet.body!.badRequest!.message).toMatch(/'networks' is a required property/);
    const bdm = [{ boot_index: 0, uuid: IMAGE_ID, source_type: 'image', destination_type: 'volume', volume_size: 20, volume_type: 'bluestore' }];
    const old = await raw(server, 'POST', '/servers', { server: { name: 'x', flavorRef, networks: 'auto', block_device_mapping_v2: bdm } }, '2.66');
    expect(old.status).toBe(400);
    expect(old.body!.badRequest!.message).toMatch(/Additional properties are not allowed \('volume_type' was unexpected\)/);
    const ok = await raw(server, 'POST', '/servers', { server: { name: 'x', flavorRef, networks: 'auto', block_device_mapping_v2: bdm } }, '2.67');
    expect(ok.status).toBe(202);
  });

  it('fails os-migrateLive to a hypervisor_hostname that is not a service host: 400, even at 2.34+', async () => {
    // GIVEN compute-2's node name differs from its service host, as the old driver used it
    const vm = server.state.servers[0]!;
    const r = await raw(server, 'POST', `/servers/${vm.id}/action`, {
      'os-migrateLive': { host: 'compute-2.testbed.example', block_migration: 'auto' },
    });
    expect(r).toEqual({ status: 400, body: { badRequest: { code: 400, message: 'Compute host compute-2.testbed.example could not be found.' } } });
    expect(server.state.migrations).toEqual([]);
  });

  it('accepts a bad target from 2.34 on (202) and fails the migration record; answers 400 below 2.34', async () => {
    const vm = server.state.servers[0]!;
    // WHEN the target is the server's own host
    const old = await raw(server, 'POST', `/servers/${vm.id}/action`, { 'os-migrateLive': { host: 'compute-1', block_migration: true } }, '2.33');
    expect(old.status).toBe(400);
    expect(old.body!.badRequest!.message).toBe(`Unable to migrate instance (${vm.id}) to current host (compute-1).`);
    const now = await raw(server, 'POST', `/servers/${vm.id}/action`, { 'os-migrateLive': { host: 'compute-1', block_migration: 'auto' } });
    expect(now.status).toBe(202);
    // THEN the record ended in error and the server still runs where it was
    expect(server.state.migrations.map((m) => m.status)).toEqual(['error']);
    expect(server.state.servers[0]).toMatchObject({ host: 'compute-1', status: 'ACTIVE' });
  });

  it('refuses to abort a migration that is not running below 2.65 (400), and allows it from 2.65', async () => {
    const vm = server.state.servers[0]!;
    await raw(server, 'POST', `/servers/${vm.id}/action`, { 'os-migrateLive': { host: 'compute-2', block_migration: 'auto' } });
    // GIVEN the new migration is queued (one GET of the server's migrations moves it from accepted)
    const listed = await raw(server, 'GET', `/servers/${vm.id}/migrations`);
    expect((listed.body as unknown as { migrations: Array<{ status: string }> }).migrations.map((m) => m.status)).toEqual(['queued']);
    // WHEN it is aborted at 2.56 (what the old driver did at once), then at 2.65
    const old = await raw(server, 'DELETE', `/servers/${vm.id}/migrations/1`);
    expect(old).toEqual({
      status: 400,
      body: {
        badRequest: {
          code: 400,
          message: `Migration 1 state of instance ${vm.id} is queued. Cannot abort live migration while the migration is in this state.`,
        },
      },
    });
    const at265 = await raw(server, 'DELETE', `/servers/${vm.id}/migrations/1`, undefined, '2.65');
    expect(at265.status).toBe(202);
    expect(server.state.migrations[0]!.status).toBe('cancelled');
  });

  it('shows hypervisor ids as UUIDs from 2.53 on, with a service host apart from the node name', async () => {
    const at253 = (await raw(server, 'GET', '/os-hypervisors/detail', undefined, '2.53')).body as unknown as {
      hypervisors: Array<{ id: unknown; hypervisor_hostname: string; service: { host: string } }>;
    };
    expect(at253.hypervisors[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(at253.hypervisors.map((h) => [h.service.host, h.hypervisor_hostname])).toEqual([
      ['compute-1', 'compute-1.testbed.example'],
      ['compute-2', 'compute-2.testbed.example'],
    ]);
    const at252 = (await raw(server, 'GET', '/os-hypervisors/detail', undefined, '2.52')).body as unknown as { hypervisors: Array<{ id: unknown }> };
    expect(at252.hypervisors[0]!.id).toBe(1);
  });

  it("answers before 2.48 with libvirt's own dict: vCPU times, NIC bytes and the balloon's statistics", async () => {
    const vm = server.state.servers[0]!; // ramPct 15 in the guest
    const d = (await raw(server, 'GET', `/servers/${vm.id}/diagnostics`, undefined, '2.47')).body as unknown as Record<string, number>;
    expect(Object.keys(d).filter((k) => /^cpu\d+_time$/.test(k))).toHaveLength(vm.vcpus);
    expect(d['memory']).toBe(vm.ramMiB * 1024);
    expect(1 - d['memory-usable']! / d['memory-available']!).toBeCloseTo(0.15, 3);
    expect(d).not.toHaveProperty('memory_details');
  });

  it("reports libvirt's allocation as memory_details.used, so used/maximum is 100 % whatever the guest does", async () => {
    const vm = server.state.servers[0]!; // ramPct 15 in the guest
    const d = (await raw(server, 'GET', `/servers/${vm.id}/diagnostics`, undefined, '2.48')).body as unknown as {
      memory_details: { maximum: number; used: number };
    };
    expect(d.memory_details).toEqual({ maximum: 2, used: 2 });
  });
});

describe('the Nova driver, against the Keystone/Nova contract server', () => {
  let server: ContractServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('authenticates with Keystone v3, sends the token and microversion headers, and names hosts by their service host', async () => {
    // GIVEN OS_* credentials
    const s = await setup();
    server = s.server;
    // WHEN hosts and servers are listed
    const hosts = await s.api.listHosts();
    const servers = await s.api.listServers();
    // THEN the contract's data comes back typed, with service hosts (not the node names)
    expect(hosts.map((h) => [h.name, h.usable, h.vcpus])).toEqual([
      ['compute-1', true, 16],
      ['compute-2', true, 16],
    ]);
    expect(servers.map((x) => [x.name, x.host, x.vcpus, x.memoryMiB])).toEqual([
      ['web-1', 'compute-1', 2, 2048],
      ['web-2', 'compute-2', 2, 2048],
      ['db-1', 'compute-1', 2, 2048],
    ]);
    // AND every compute call carried X-Auth-Token and OpenStack-API-Version: compute 2.56
    const compute = server.state.log.filter((l) => l.path.startsWith('/compute'));
    expect(compute.every((l) => l.token && l.microversion === 'compute 2.56')).toBe(true);
  });

  it('fails with a clear 401 error on a wrong password, exit code 2, without printing the password', async () => {
    server = await startNovaContract({ password: 'right' });
    const nova = new NovaClient({ credentials: loadCredentials({ ...server.env, OS_PASSWORD: 'wrong-pw' }) });
    const err = await new NovaComputeApi(nova).listHosts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect(err).toMatchObject({ status: 401, exitCode: 2 });
    expect((err as Error).message).toMatch(
      /auth\/tokens: HTTP 401: Keystone refused the credentials from OS_\* environment variables \(user "policy"/,
    );
    expect((err as Error).message).not.toContain('wrong-pw');
  });

  it('fails with the microversion named, exit code 2, when Nova answers 406', async () => {
    const s = await setup({ maxMicroversion: '2.53' });
    server = s.server;
    const err = await s.api.listHosts().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 406, exitCode: 2 });
    expect((err as Error).message).toMatch(/HTTP 406: Nova does not support compute microversion 2.56/);
  });

  it('live-migrates to the service host with block_migration "auto", through queued and running to completed, with the bytes and times', async () => {
    const s = await setup({ migrationPolls: 2 });
    server = s.server;
    const vm = server.state.servers[0]!;
    // WHEN web-1 is migrated to compute-2 and polled to its end
    const handle = await s.api.liveMigrate(vm.id, 'compute-2');
    const seen = await pollToEnd(s.api, handle);
    // THEN the request followed the contract
    expect(server.state.log.find((l) => l.path.endsWith('/action'))!.body).toEqual({
      'os-migrateLive': { host: 'compute-2', block_migration: 'auto' },
    });
    expect(handle).toMatchObject({ sourceHost: 'compute-1', targetHost: 'compute-2' });
    // AND the driver followed Nova's states: queued (queued, preparing), running, then completed from GET /os-migrations
    expect(seen.map((x) => `${x.state}/${x.cloudStatus}`)).toEqual([
      'queued/queued',
      'queued/preparing',
      'running/running',
      'running/running',
      'running/running',
      'completed/completed',
    ]);
    const lastRunning = seen.filter((x) => x.state === 'running').at(-1)!;
    expect(lastRunning).toMatchObject({ memoryTotalBytes: 2048 * 2 ** 20, diskProcessedBytes: 0 });
    expect(lastRunning.memoryProcessedBytes).toBeGreaterThan(0);
    const end = seen.at(-1)!;
    expect(end.recordCreatedAt! % 1000).toBe(0);
    expect(end.recordUpdatedAt!).toBeGreaterThanOrEqual(end.recordCreatedAt!);
    expect((await s.api.listServers())[0]!.host).toBe('compute-2');
  });

  it('follows a migration whose os-migrateLive got no answer in time but was applied, and sends it once', async () => {
    // GIVEN an API that gets to server actions only after the client has given up (1 s vs 400 ms)
    const s = await setup({ migrationPolls: 1 }, { timeoutMs: 400, attempts: 1 });
    server = s.server;
    server.state.faults.slowActionMs = 1000;
    const vm = server.state.servers[0]!;
    // WHEN web-1 is migrated to compute-2
    const handle = await s.api.liveMigrate(vm.id, 'compute-2');
    const seen = await pollToEnd(s.api, handle);
    // THEN the driver found the migration Nova started, followed it to its end, and never asked twice
    expect(seen.at(-1)!.state).toBe('completed');
    expect(server.state.log.filter((l) => l.path.endsWith('/action'))).toHaveLength(1);
    expect((await s.api.listServers()).find((x) => x.id === vm.id)!.host).toBe('compute-2');
  });

  it('reports a target that fails the pre-checks (202 from 2.34 on) as a failed migration', async () => {
    const s = await setup();
    server = s.server;
    const vm = server.state.servers[0]!;
    // WHEN the target is the host it is on: Nova answers 202 and fails the record afterwards
    const handle = await s.api.liveMigrate(vm.id, 'compute-1');
    const seen = await pollToEnd(s.api, handle);
    expect(seen.at(-1)).toMatchObject({
      state: 'failed',
      cloudStatus: 'error',
      error: expect.stringMatching(/ended in status error \(a pre-check or the migration failed/),
    });
  });

  it('fails with 409 for a conflicting migration', async () => {
    const s = await setup({ migrationPolls: 5 });
    server = s.server;
    const vm = server.state.servers[0]!;
    await s.api.liveMigrate(vm.id, 'compute-2');
    const err = await s.api.liveMigrate(vm.id, 'compute-2').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409 });
    expect((err as Error).message).toMatch(/Cannot 'os-migrateLive' instance/);
  });

  it('aborts a migration only once it is running (below 2.65), then reports it aborted', async () => {
    const s = await setup();
    server = s.server;
    server.state.faults.stuck = true;
    const vm = server.state.servers[0]!;
    // WHEN the abort is asked at once, while Nova still has the migration accepted/queued
    const handle = await s.api.liveMigrate(vm.id, 'compute-2');
    await s.api.abortMigration(handle);
    // THEN the DELETE went out only after a poll saw it running, and Nova took it (202)
    const calls = server.state.log.filter((l) => l.path.includes('/migrations')).map((l) => `${l.method} ${l.status}`);
    expect(calls).toEqual(['GET 200', 'GET 200', 'GET 200', 'DELETE 202']);
    expect(server.state.log.at(-1)).toMatchObject({ method: 'DELETE', path: `/compute/v2.1/servers/${vm.id}/migrations/1` });
    // AND the server is still on its source, and the poll reports the abort
    expect(await s.api.pollMigration(handle)).toMatchObject({ state: 'aborted', cloudStatus: 'cancelled' });
    expect(server.state.servers[0]).toMatchObject({ host: 'compute-1', status: 'ACTIVE' });
  });

  it('boots a copy of an image-booted server with the flavor id, the image and its networks', async () => {
    const s = await setup();
    server = s.server;
    const like = server.state.servers[0]!;
    await s.api.bootServer({ name: 'copy', likeServerId: like.id, metadata: { a: 'b' } });
    const created = server.state.servers.at(-1)!;
    expect(created.created).toEqual({
      server: {
        name: 'copy',
        flavorRef: server.state.flavors[0]!.id,
        imageRef: IMAGE_ID,
        networks: [{ uuid: NETWORK_ID }],
        metadata: { a: 'b', 'testbed-policy': 'created' },
      },
    });
  });

  it("boots a copy of a volume-booted server from the boot volume's image, size and volume type (2.67)", async () => {
    const s = await setup();
    server = s.server;
    const like = server.state.servers[2]!; // db-1, booted from a 20 GB bluestore volume
    await s.api.bootServer({ name: 'copy', likeServerId: like.id, metadata: {} });
    const post = server.state.log.filter((l) => l.method === 'POST' && l.path.endsWith('/servers')).at(-1)!;
    expect(post.microversion).toBe(`compute ${BOOT_FROM_VOLUME_MICROVERSION}`);
    expect(post.status).toBe(202);
    expect((post.body as { server: { block_device_mapping_v2: unknown; imageRef?: string } }).server).toMatchObject({
      block_device_mapping_v2: [
        {
          boot_index: 0,
          uuid: IMAGE_ID,
          source_type: 'image',
          destination_type: 'volume',
          volume_size: 20,
          volume_type: 'bluestore',
          delete_on_termination: true,
        },
      ],
    });
    expect(server.state.volumes.at(-1)).toMatchObject({ sizeGb: 20, volumeType: 'bluestore' });
  });

  it('fails a boot-from-volume copy clearly on a cloud older than 2.67', async () => {
    const s = await setup({ maxMicroversion: '2.66' });
    server = s.server;
    const err = await s.api.bootServer({ name: 'copy', likeServerId: server.state.servers[2]!.id, metadata: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 406, exitCode: 2 });
    expect((err as Error).message).toMatch(/microversion 2.67 \(a boot-from-volume copy sets its volume type/);
  });

  it('retries GETs through 5xx answers with backoff', async () => {
    const s = await setup();
    server = s.server;
    server.state.faults.fail5xx = 2;
    await expect(s.api.listServers()).resolves.toHaveLength(3);
    expect(server.state.log.filter((l) => l.path.endsWith('/servers/detail'))).toHaveLength(3);
  });

  it('fails after its attempts when Nova keeps answering 503', async () => {
    const s = await setup({}, { attempts: 2 });
    server = s.server;
    server.state.faults.fail5xx = 5;
    await expect(s.api.listServers()).rejects.toThrow(/HTTP 503/);
  });

  it('does not retry a POST that got a 5xx (no second migration)', async () => {
    const s = await setup();
    server = s.server;
    const vm = server.state.servers[0]!;
    await s.api.listHosts(); // authenticate first
    server.state.faults.fail5xx = 1;
    await expect(
      s.nova.request('POST', `/servers/${vm.id}/action`, { 'os-migrateLive': { host: 'compute-2', block_migration: 'auto' } }),
    ).rejects.toThrow(/HTTP 503/);
    // THEN exactly one POST reached Nova, and no migration started
    expect(server.state.log.filter((l) => l.path.endsWith('/action'))).toHaveLength(1);
    expect(server.state.migrations).toEqual([]);
  });

  it('times out slow answers, and accepts slow answers within the timeout', async () => {
    const s = await setup({}, { timeoutMs: 400, attempts: 2 });
    server = s.server;
    await s.api.listHosts();
    server.state.faults.slowMs = 100;
    await expect(s.api.listHosts()).resolves.toHaveLength(2);
    server.state.faults.slowMs = 1000;
    await expect(s.api.listHosts()).rejects.toThrow(/no answer within 400 ms/);
  });

  it('reads CPU and traffic from diagnostics deltas, marks RAM unknown, and host RAM from os-hypervisors', async () => {
    const s = await setup();
    server = s.server;
    const metrics = new NovaMetricsSource(s.nova, s.api);
    // WHEN sampled twice
    const first = await metrics.sample();
    await new Promise((r) => setTimeout(r, 300));
    const second = await metrics.sample();
    // THEN the first round has no CPU delta (no action), the second has the configured CPU figures
    expect(first.vms).toEqual([]);
    expect(first.warnings).toHaveLength(3);
    const web1 = second.vms.find((v) => v.id === server!.state.servers[0]!.id)!;
    expect(web1.cpuPct).toBeGreaterThan(7);
    expect(web1.cpuPct).toBeLessThan(13);
    expect(web1.dirtyBytesPerS).toBeUndefined();
    // AND RAM is unknown (NaN, with the reason), never the allocation's 100 %
    expect(second.vms.every((v) => Number.isNaN(v.ramPct))).toBe(true);
    expect(second.warnings).toContain(`3 VM(s): ${RAM_UNKNOWN_WARNING}`);
    expect(second.hosts.find((h) => h.name === 'compute-1')!.ramPct).toBeCloseTo(((512 + 4096) / 65536) * 100, 5);
  });

  it('reads the accelerator from diagnostics (virt_type), not from the client', async () => {
    const s = await setup();
    server = s.server;
    expect(await s.api.acceleratorOf(server.state.servers[0]!.id)).toBe('kvm');
    expect(await s.api.acceleratorOf('no-such-server')).toBe('unknown');
  });
});

describe('the OpenStack credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-creds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const clouds = join(dir, 'clouds.yaml');
  writeFileSync(
    clouds,
    'clouds:\n  tb:\n    auth: {auth_url: http://127.0.0.1:1/v3, username: u, password: p, project_name: admin}\n    region_name: R\n',
  );

  it('are read from OS_CLIENT_CONFIG_FILE, as openstacksdk does, with the cloud OS_CLOUD names', () => {
    expect(loadCredentials({ OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: 'tb' })).toMatchObject({
      username: 'u',
      regionName: 'R',
      source: `${clouds} (cloud tb)`,
    });
  });

  it('fail with exit code 2 for a clouds.yaml that does not exist, naming where it was looked for', () => {
    const missing = join(dir, 'nope.yaml');
    for (const call of [() => loadCredentials({ OS_CLIENT_CONFIG_FILE: missing }), () => loadCredentials({}, missing)]) {
      const err = (() => {
        try {
          call();
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(OpenStackConfigError);
      expect(err).toMatchObject({ exitCode: 2, message: expect.stringContaining(`no such file; got ${JSON.stringify(missing)}`) });
    }
  });
});
