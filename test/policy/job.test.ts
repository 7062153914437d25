import type { LoadBalancer, MetricsReading, MetricsSource } from '../../src/policy/interfaces.js';
import { PolicyJob, type JobEvent } from '../../src/policy/job.js';
import { NovaClient, NovaComputeApi } from '../../src/policy/nova-compute.js';
import { loadCredentials } from '../../src/policy/openstack-auth.js';
import { startNovaContract, type ContractServer } from './nova-contract-server.js';
import { settings } from './fixtures.js';

/** Metrics as the contract's servers say, read fresh each call (a boundary fake with the MetricsSource contract). */
function metricsOf(server: ContractServer): MetricsSource {
  return {
    async sample(): Promise<MetricsReading> {
      const now = Date.now();
      return {
        takenAt: now,
        warnings: [],
        vms: server.state.servers.map((s) => ({
          id: s.id,
          host: s.host,
          cpuPct: s.cpuPct,
          ramPct: s.ramPct,
          netBytesPerS: 0,
          dirtyBytesPerS: 1 << 20,
          sampledAt: now,
        })),
        hosts: server.state.hypervisors.map((h) => ({
          name: h.name,
          vcpus: h.vcpus,
          memoryMiB: h.memoryMiB,
          cpuPct: 10,
          ramPct: 10,
          sampledAt: now,
        })),
      };
    },
  };
}

describe('one cycle of the policy job', () => {
  let server: ContractServer;
  let events: JobEvent[];
  const job = (over: Partial<ConstructorParameters<typeof PolicyJob>[0]> = {}) => {
    const compute = new NovaComputeApi(new NovaClient({ credentials: loadCredentials(server.env), retryDelayMs: 5 }));
    return new PolicyJob({
      metrics: metricsOf(server),
      compute,
      settings: settings({ maxMigrationsPerCycle: 1 }),
      dryRun: false,
      emit: (e) => events.push(e),
      pollMs: 20,
      ...over,
    });
  };
  beforeEach(async () => {
    server = await startNovaContract({ migrationPolls: 2 });
    events = [];
  });
  afterEach(async () => server.close());

  it('migrates a low VM and watches it to completion, then leaves it in cooldown', async () => {
    // GIVEN web-1 (low) on compute-1 and web-2 (lower) on compute-2
    const j = job();
    // WHEN one cycle runs
    const plan = await j.cycle();
    // THEN web-1 moved to compute-2 and the end was recorded
    expect(plan.actions.filter((a) => a.kind === 'migrate')).toHaveLength(1);
    expect(events.find((e) => e.type === 'migration:end')).toMatchObject({ state: 'completed', from: 'compute-1', to: 'compute-2' });
    expect(server.state.servers[0]!.host).toBe('compute-2');
    // AND the next cycle leaves it alone (cooldown)
    const next = await j.cycle();
    expect(next.decisions.find((d) => d.vmId === server.state.servers[0]!.id)!.reason).toMatch(/in cooldown/);
  });

  it('aborts a migration that outlives its timeout, records it, and continues', async () => {
    server.state.faults.stuck = true;
    const plan = await job({ migrationTimeoutMs: 100 }).cycle();
    expect(plan.actions.some((a) => a.kind === 'migrate')).toBe(true);
    expect(events.find((e) => e.type === 'migration:end')).toMatchObject({ state: 'aborted' });
    expect(server.state.log.some((l) => l.method === 'DELETE' && /\/migrations\/\d+$/.test(l.path))).toBe(true);
    expect(server.state.servers[0]).toMatchObject({ host: 'compute-1', status: 'ACTIVE' });
  });

  it('records a refused migration (409) as failed and continues', async () => {
    // GIVEN the server is already busy in Nova's eyes
    server.state.migrations.push({
      id: 99,
      serverId: server.state.servers[0]!.id,
      source: 'compute-1',
      dest: 'compute-2',
      status: 'running',
      polls: 0,
    });
    await job().cycle();
    expect(events.find((e) => e.type === 'migration:end')).toMatchObject({ state: 'failed', error: expect.stringMatching(/HTTP 409/) });
  });

  it('does not migrate VMs behind an unreachable load balancer', async () => {
    const lb: LoadBalancer = {
      readBack: async () => {
        throw new Error('connect ENOENT /run/haproxy/admin.sock');
      },
      setWeight: async () => {},
      drain: async () => {},
      ready: async () => {},
      addServer: async () => {},
      removeServer: async () => {},
    };
    const plan = await job({ lb }).cycle();
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ message: expect.stringMatching(/load balancer unreachable/) });
    // No VM is known to be behind it, so migrations of VMs without an LB entry still go ahead.
    expect(plan.actions.filter((a) => a.kind === 'drain' || a.kind === 'terminate')).toEqual([]);
  });

  it('plans but changes nothing in dry-run', async () => {
    const plan = await job({ dryRun: true }).cycle();
    expect(plan.actions.length).toBeGreaterThan(0);
    expect(server.state.log.filter((l) => l.method !== 'GET' && !l.path.includes('auth'))).toEqual([]);
  });
});
