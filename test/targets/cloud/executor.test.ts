import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CloudExecutor, TEMPLATE_KEY } from '../../../src/targets/cloud/executor.js';
import type { BootRequest, ComputeApi, ComputeHost, MigrationHandle, MigrationStatus, Server } from '../../../src/policy/interfaces.js';
import { NovaClient, NovaComputeApi } from '../../../src/policy/nova-compute.js';
import { loadCredentials } from '../../../src/policy/openstack-auth.js';
import { startNovaContract } from '../../policy/nova-contract-server.js';
import { FAKE_CONDITIONS } from '../../experiments/fake-executor.js';

/** A ComputeApi that behaves as interfaces.ts documents Nova: boot accepted then ACTIVE, migrations polled to a terminal state. */
class FakeNova implements ComputeApi {
  readonly calls: string[] = [];
  servers: Server[] = [
    {
      id: 'tpl-1',
      name: 'tpl',
      host: 'compute-1',
      status: 'ACTIVE',
      vcpus: 2,
      memoryMiB: 4096,
      ip: '127.0.0.1',
      metadata: { [TEMPLATE_KEY]: 'bluestore/small' },
    },
  ];
  polls = 0;
  constructor(
    private readonly outcome: 'completed' | 'failed',
    private readonly recordTimes = true,
  ) {}
  async listHosts(): Promise<ComputeHost[]> {
    return [
      { name: 'compute-1', usable: true, vcpus: 16, memoryMiB: 65536 },
      { name: 'compute-2', usable: true, vcpus: 16, memoryMiB: 65536 },
      { name: 'compute-3', usable: false, vcpus: 16, memoryMiB: 65536 },
    ];
  }
  async listServers() {
    // The booted server becomes ACTIVE on the first listing after the boot.
    this.servers = this.servers.map((s) => (s.status === 'BUILD' ? { ...s, status: 'ACTIVE' } : s));
    return this.servers;
  }
  async bootServer(r: BootRequest): Promise<Server> {
    this.calls.push(`boot ${r.name} like ${r.likeServerId} ${JSON.stringify(r.metadata)}`);
    const s: Server = {
      id: 'vm-1',
      name: r.name,
      host: 'compute-1',
      status: 'BUILD',
      vcpus: 2,
      memoryMiB: 4096,
      ip: this.ip,
      metadata: { ...r.metadata },
    };
    this.servers.push(s);
    return s;
  }
  ip = '127.0.0.1';
  async liveMigrate(id: string, target: string): Promise<MigrationHandle> {
    this.calls.push(`migrate ${id} -> ${target}`);
    return { serverId: id, sourceHost: 'compute-1', targetHost: target, startedAt: 1000 };
  }
  async pollMigration(h: MigrationHandle): Promise<MigrationStatus> {
    this.polls++;
    const times = this.recordTimes ? { recordCreatedAt: 1_700_000_000_000, recordUpdatedAt: 1_700_000_031_000 } : {};
    if (this.polls < 3) return { handle: h, state: 'running', memoryProcessedBytes: 1e8 * this.polls, diskProcessedBytes: 5e6, ...times };
    // As Nova: once over, the in-progress list no longer has the record, so the end carries no bytes.
    return this.outcome === 'completed'
      ? { handle: h, state: 'completed', finishedAt: 36_000, ...times }
      : { handle: h, state: 'failed', error: "Nova's migration 7 ended in status error", finishedAt: 2000, ...times };
  }
  async abortMigration() {}
  async deleteServer(id: string) {
    this.calls.push(`delete ${id}`);
  }
}

describe('the cloud executor over the Compute API', () => {
  let http: HttpServer;
  let port: number;
  beforeAll(async () => {
    http = createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
    await once(http, 'listening');
    port = (http.address() as AddressInfo).port;
  });
  afterAll(() => http.close());

  const make = (nova: FakeNova) =>
    new CloudExecutor({
      api: nova,
      namePrefix: 'tb',
      linkMbit: 1000,
      probeIntervalMs: 10,
      guestPort: port,
      lbUrl: { kind: 'http', host: '127.0.0.1', port },
      collectConditions: async () => FAKE_CONDITIONS,
      sleep: async () => {},
      now: () => 5000,
    });

  it('boots like the pool × flavor template, migrates to the target, and records what Nova reports', async () => {
    // GIVEN a template server for bluestore/small
    const nova = new FakeNova('completed');
    const ex = make(nova);
    expect(await ex.hosts()).toEqual(['compute-1', 'compute-2']);
    // WHEN a VM is booted and migrated with the probe running
    const vm = await ex.bootVm('bluestore', 'small', 'memory');
    const probe = await ex.startProbe(vm);
    await new Promise((r) => setTimeout(r, 100));
    const rec = await ex.migrate(vm, 'compute-1', { target: 'compute-2', rep: 1 });
    const gaps = await ex.stopProbe(probe);
    await ex.destroyVm(vm);
    // THEN the record has the time of Nova's migration record and the bytes of the last in-progress poll, the hypervisor-only fields are NaN, and both probes ran
    expect(nova.calls[0]).toBe('boot tb-exp-bluestore-small-memory like tpl-1 {"testbed-experiment":"run/bluestore/small","testbed-load":"memory"}');
    expect(rec).toMatchObject({
      status: 'completed',
      total_ms: 31_000,
      transferred_bytes: 2e8 + 5e6,
      source: 'compute-1',
      target: 'compute-2',
      rep: 1,
      link_mbit: 1000,
    });
    expect(rec.downtime_ms).toBeNaN();
    expect(rec.raw).toMatchObject({ timing: expect.stringMatching(/^Nova migration record: updated_at - created_at/) });
    expect(gaps.haproxy_ms).toBeLessThan(100);
    expect(gaps.direct_ms).toBeLessThan(100);
    expect(nova.calls.at(-1)).toBe('delete vm-1');
  });

  it("records a failed migration with Nova's reason", async () => {
    const ex = make(new FakeNova('failed'));
    const vm = await ex.bootVm('bluestore', 'small', 'none');
    const rec = await ex.migrate(vm, 'compute-1', { target: 'compute-2', rep: 2 });
    expect(rec).toMatchObject({ status: 'failed', reason: "Nova's migration 7 ended in status error" });
  });

  it("falls back to the client's polls for the time, and says so, when the record has no times", async () => {
    const ex = make(new FakeNova('completed', false));
    const vm = await ex.bootVm('bluestore', 'small', 'none');
    const rec = await ex.migrate(vm, 'compute-1', { target: 'compute-2', rep: 1 });
    expect(rec.total_ms).toBe(35_000);
    expect(rec.raw).toMatchObject({ timing: 'client polls every 2000 ms (the record had no times)' });
  });

  it('records the accelerator as unknown when the Compute API cannot tell, never the client /dev/kvm', async () => {
    const ex = make(new FakeNova('completed'));
    await ex.bootVm('bluestore', 'small', 'none');
    const c = await ex.collectConditions();
    expect(c.accel).toBe('unknown');
    expect(c.notes.at(-1)).toMatch(/accelerator unknown/);
  });

  it('fails to boot without a template, saying how to make one', async () => {
    await expect(make(new FakeNova('completed')).bootVm('filestore', 'large', 'none')).rejects.toThrow(
      'cloud: no ACTIVE template server for pool "filestore" and flavor "large"; create one boot-from-volume server of flavor large with a volume of the "filestore" volume type and metadata testbed-experiment=filestore/large',
    );
  });
});

describe('the cloud executor over the Nova driver, against the Nova contract server', () => {
  it("boots from a volume-booted template, migrates, and records Nova's times and bytes and the VMs' accelerator", async () => {
    // GIVEN a guest HTTP server on loopback, and the contract's volume-booted db-1 as the bluestore/small template
    const guest = createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
    await once(guest, 'listening');
    const nova = await startNovaContract({ migrationPolls: 3 });
    try {
      for (const s of nova.state.servers) s.ip = '127.0.0.1';
      nova.state.servers[2]!.metadata[TEMPLATE_KEY] = 'bluestore/small';
      const api = new NovaComputeApi(new NovaClient({ credentials: loadCredentials(nova.env), retryDelayMs: 5, pollMs: 5 }));
      const ex = new CloudExecutor({
        api,
        namePrefix: 'tb',
        linkMbit: 1000,
        probeIntervalMs: 10,
        guestPort: (guest.address() as AddressInfo).port,
        collectConditions: async () => ({ ...FAKE_CONDITIONS, target: 'cloud', accel: 'unknown' }),
        sleep: async (ms) => {
          // The contract activates a booted server when asked; a real cloud does it by itself.
          for (const s of nova.state.servers) if (s.status === 'BUILD') s.status = 'ACTIVE';
          await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
        },
      });
      // WHEN a VM is booted like the template and migrated
      const vm = await ex.bootVm('bluestore', 'small', 'none');
      const rec = await ex.migrate(vm, 'compute-1', { target: 'compute-2', rep: 1 });
      // THEN the copy got its own bluestore volume, and the record has Nova's whole-second time and processed bytes
      expect(nova.state.volumes.at(-1)).toMatchObject({ volumeType: 'bluestore', sizeGb: 20 });
      expect(rec.status).toBe('completed');
      expect(rec.total_ms % 1000).toBe(0);
      expect(rec.total_ms).toBeGreaterThanOrEqual(0);
      expect(rec.transferred_bytes).toBeGreaterThan(0);
      expect(rec.transferred_bytes).toBeLessThanOrEqual(2048 * 2 ** 20);
      expect(rec.downtime_ms).toBeNaN();
      // AND the accelerator comes from the VMs' diagnostics
      expect((await ex.collectConditions()).accel).toBe('kvm');
      await ex.destroyVm(vm);
    } finally {
      await nova.close();
      guest.close();
    }
  });
});
