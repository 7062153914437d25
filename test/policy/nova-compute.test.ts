import { NovaClient, NovaComputeApi, NovaMetricsSource } from '../../src/policy/nova-compute.js';
import { loadCredentials, OpenStackHttpError } from '../../src/policy/openstack-auth.js';
import { startNovaContract, type ContractServer } from './nova-contract-server.js';

async function setup(o: Parameters<typeof startNovaContract>[0] = {}, client: { timeoutMs?: number; attempts?: number } = {}) {
  const server = await startNovaContract(o);
  const credentials = loadCredentials(server.env, undefined);
  const nova = new NovaClient({ credentials, retryDelayMs: 5, ...client });
  return { server, nova, api: new NovaComputeApi(nova) };
}

describe('the Nova driver, against the Keystone/Nova contract server', () => {
  let server: ContractServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('authenticates with Keystone v3 and sends the token and microversion headers', async () => {
    // GIVEN OS_* credentials
    const s = await setup();
    server = s.server;
    // WHEN hosts and servers are listed
    const hosts = await s.api.listHosts();
    const servers = await s.api.listServers();
    // THEN the contract's data comes back typed
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

  it('fails with a clear 401 error on a wrong password, without printing the password', async () => {
    server = await startNovaContract({ password: 'right' });
    const nova = new NovaClient({ credentials: loadCredentials({ ...server.env, OS_PASSWORD: 'wrong-pw' }) });
    const err = await new NovaComputeApi(nova).listHosts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect((err as Error).message).toMatch(/auth\/tokens: HTTP 401/);
    expect((err as Error).message).not.toContain('wrong-pw');
  });

  it('fails with the microversion named when Nova answers 406', async () => {
    const s = await setup({ maxMicroversion: '2.53' });
    server = s.server;
    await expect(s.api.listHosts()).rejects.toThrow(/HTTP 406: Nova does not support compute microversion 2.56/);
  });

  it('live-migrates with host and block_migration "auto", polling until completed', async () => {
    const s = await setup({ migrationPolls: 2 });
    server = s.server;
    const vm = server.state.servers[0]!;
    // WHEN web-1 is migrated to compute-2 and polled to its end
    const handle = await s.api.liveMigrate(vm.id, 'compute-2');
    const states: string[] = [];
    for (let i = 0; i < 10; i++) {
      const st = await s.api.pollMigration(handle);
      states.push(st.state);
      if (st.state === 'completed' || st.state === 'failed') break;
    }
    // THEN the request followed the contract, and the server ended on compute-2
    expect(server.state.log.find((l) => l.path.endsWith('/action'))!.body).toEqual({
      'os-migrateLive': { host: 'compute-2', block_migration: 'auto' },
    });
    expect(handle).toMatchObject({ sourceHost: 'compute-1', targetHost: 'compute-2' });
    expect(states).toEqual(['running', 'running', 'completed']);
    expect((await s.api.listServers())[0]!.host).toBe('compute-2');
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

  it('aborts a migration that does not end: DELETE /servers/{id}/migrations/{mid}', async () => {
    const s = await setup();
    server = s.server;
    server.state.faults.stuck = true;
    const vm = server.state.servers[0]!;
    const handle = await s.api.liveMigrate(vm.id, 'compute-2');
    const running = await s.api.pollMigration(handle);
    expect(running).toMatchObject({ state: 'running', handle: { migrationId: '1' } });
    await s.api.abortMigration(running.handle);
    expect(server.state.log.at(-1)).toMatchObject({ method: 'DELETE', path: `/compute/v2.1/servers/${vm.id}/migrations/1` });
    // THEN the server is still on its source, and the poll reports the failure
    expect(await s.api.pollMigration(handle)).toMatchObject({ state: 'failed', error: expect.stringMatching(/ACTIVE on compute-1/) });
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

  it('reads metrics from diagnostics deltas and os-hypervisors', async () => {
    const s = await setup();
    server = s.server;
    const metrics = new NovaMetricsSource(s.nova, s.api);
    // WHEN sampled twice
    const first = await metrics.sample();
    await new Promise((r) => setTimeout(r, 300));
    const second = await metrics.sample();
    // THEN the first round has no CPU delta (no action), the second has the configured figures
    expect(first.vms).toEqual([]);
    expect(first.warnings).toHaveLength(3);
    const web1 = second.vms.find((v) => v.host === 'compute-1' && Math.abs(v.ramPct - 15) < 0.1)!;
    expect(web1.cpuPct).toBeGreaterThan(7);
    expect(web1.cpuPct).toBeLessThan(13);
    expect(web1.dirtyBytesPerS).toBeUndefined();
    expect(second.hosts.find((h) => h.name === 'compute-1')!.ramPct).toBeCloseTo(((512 + 4096) / 65536) * 100, 5);
  });
});
