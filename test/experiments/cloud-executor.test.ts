import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CloudExecutor, TEMPLATE_KEY } from '../../src/experiments/cloud-executor.js';
import type { BootRequest, ComputeApi, ComputeHost, MigrationHandle, MigrationStatus, Server } from '../../src/policy/interfaces.js';
import { FAKE_CONDITIONS } from './fake-executor.js';

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
  constructor(private readonly outcome: 'completed' | 'failed') {}
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
    if (this.polls < 3) return { handle: h, state: 'running', memoryProcessedBytes: 1e8 * this.polls };
    return this.outcome === 'completed'
      ? { handle: h, state: 'completed', memoryProcessedBytes: 4.2e9, finishedAt: 36_000 }
      : { handle: h, state: 'failed', error: 'Migration pre-check error: target host is full', finishedAt: 2000 };
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
    // THEN the record has Nova's bytes and times, the hypervisor-only fields are NaN, and both probes ran
    expect(nova.calls[0]).toBe('boot tb-exp-bluestore-small-memory like tpl-1 {"testbed-experiment":"run/bluestore/small","testbed-load":"memory"}');
    expect(rec).toMatchObject({
      status: 'completed',
      total_ms: 35_000,
      transferred_bytes: 4.2e9,
      source: 'compute-1',
      target: 'compute-2',
      rep: 1,
      link_mbit: 1000,
    });
    expect(rec.downtime_ms).toBeNaN();
    expect(gaps.haproxy_ms).toBeLessThan(100);
    expect(gaps.direct_ms).toBeLessThan(100);
    expect(nova.calls.at(-1)).toBe('delete vm-1');
  });

  it("records a failed migration with Nova's reason", async () => {
    const ex = make(new FakeNova('failed'));
    const vm = await ex.bootVm('bluestore', 'small', 'none');
    const rec = await ex.migrate(vm, 'compute-1', { target: 'compute-2', rep: 2 });
    expect(rec).toMatchObject({ status: 'failed', reason: 'Migration pre-check error: target host is full' });
  });

  it('fails to boot without a template, saying how to make one', async () => {
    await expect(make(new FakeNova('completed')).bootVm('filestore', 'large', 'none')).rejects.toThrow(
      'cloud: no ACTIVE template server for pool "filestore" and flavor "large"; create one boot-from-volume server of flavor large with a volume of the "filestore" volume type and metadata testbed-experiment=filestore/large',
    );
  });
});
