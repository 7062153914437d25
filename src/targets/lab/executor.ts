/**
 * The experiments on the one-machine lab: VMs are QEMU processes in the compute namespaces with
 * their disk on an RBD image of the pool under test, migrations are src/lab/migrate.ts over the
 * tbf-shaped link, the client-side probe runs inside the controller namespace (the lab's addresses
 * exist only there), and fio runs there too, against Ceph with the RBD cache off.
 *
 * During a migration cell the VM under test is the only enabled server of HAProxy's `app` backend
 * (the standing VMs are put in maintenance and restored after), so the probe through HAProxy sees
 * exactly that VM's downtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestbedSpec } from '../../config/index.js';
import { execaRunner, type Runner } from '../../exec/index.js';
import {
  collectLocalConditions,
  fioEnv,
  fioPrefillArgs,
  fioRbdArgs,
  loadDirtiesMemory,
  loadWritesDisk,
  parseTbf,
  runFio,
  type Conditions,
  type ExperimentExecutor,
  type FioJobKind,
  type MigrateRequest,
  type MigrationLoad,
  type MigrationRecord,
  type ProbeGaps,
  type ProbeSession,
  type VmHandle,
} from '../../experiments/index.js';
import { migrateVm, migrationPlanFor, QmpClient, runFiles, UPLINK, verifyMibFor, type GuestLoad } from '../../lab/index.js';
import type { LbServerState } from '../../policy/index.js';
import { labAccel, openLab, removeFromLoadBalancer, type LabContext } from './context.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/testbed.mjs');

/** The RBD image experiment VMs of `flavor` boot from (the standing VMs use `<flavor>-1`). */
export function experimentImage(flavor: string): string {
  return `${flavor}-2`;
}

/** The fio image of every pool (created by the ceph_pools role). */
export const FIO_IMAGE = 'fio-1';

/**
 * The guest's load for a cell: none, or the spec's working set dirtied at its rate; with either, the
 * pattern the guest checks after every migration (experiments.verify: a share of RAM, at least the
 * working set, and a ring of disk blocks).
 */
export function guestLoad(spec: TestbedSpec, ramMib: number, load: MigrationLoad): GuestLoad {
  const { memory_pct, disk_blocks } = spec.experiments.verify;
  const { working_set_pct, dirty_rate_mib_s } = spec.experiments.memory_load;
  const memory = loadDirtiesMemory(load);
  const wsMib = memory ? Math.max(1, Math.floor((ramMib * working_set_pct) / 100)) : 0;
  const dl = spec.experiments.disk_load;
  return {
    wsMib,
    rateMibS: memory ? dirty_rate_mib_s : 0,
    diskOpsS: 20,
    verifyMib: Math.max(wsMib, verifyMibFor(ramMib, memory_pct)),
    diskBlocks: disk_blocks,
    ...(loadWritesDisk(load) ? { diskLoad: { iops: dl.iops, queueDepth: dl.queue_depth, mode: dl.mode, regionMib: dl.region_mib } } : {}),
  };
}

interface LabProbe {
  readonly child: ChildProcess;
  readonly stdout: { text: string };
  readonly urls: { haproxy: string; direct: string };
}

export class LabExecutor implements ExperimentExecutor {
  readonly target = 'lab' as const;
  private counter = 0;
  private parked: LbServerState[] = [];

  private constructor(
    private readonly lab: LabContext,
    private readonly runner: Runner,
    private readonly log: (line: string) => void,
  ) {}

  static async open(spec: TestbedSpec, runner: Runner = execaRunner, log: (line: string) => void = () => {}): Promise<LabExecutor> {
    const executor = new LabExecutor(await openLab(spec, log), runner, log);
    await executor.pauseStandingVms('stop');
    return executor;
  }

  /** The lab's standing VMs, paused (QMP stop) while the experiments run: their vCPUs would take CPU from the VM under test on a 2-core host. */
  private async pauseStandingVms(command: 'stop' | 'cont'): Promise<void> {
    for (const vm of this.lab.vms.list().filter((v) => this.lab.vms.running(v) && !v.name.startsWith('x'))) {
      const qmp = await QmpClient.connect(runFiles(this.lab.spec.lab.dir, vm.name, vm.host).qmp).catch(() => undefined);
      if (!qmp) continue;
      await qmp.execute(command).catch(() => undefined);
      qmp.close();
      this.log(`standing VM ${vm.name}: ${command === 'stop' ? 'paused for the experiments' : 'resumed'}`);
    }
  }

  async close(): Promise<void> {
    await this.pauseStandingVms('cont');
  }

  private get spec() {
    return this.lab.spec;
  }

  /** A runner that runs the command inside the controller namespace. */
  private inController(): Runner {
    const ns = this.lab.topology.controller.netns;
    return (file, args, options) => this.runner('ip', ['netns', 'exec', ns, file, ...args], options);
  }

  async hosts(): Promise<readonly string[]> {
    return this.lab.topology.computes.map((c) => c.name);
  }

  async bootVm(pool: string, flavor: string, load: MigrationLoad): Promise<VmHandle> {
    const ramMib = this.lab.topology.flavorRamMib[flavor as keyof typeof this.lab.topology.flavorRamMib];
    if (!ramMib) throw new Error(`lab: no flavor "${flavor}"; the flavors are ${Object.keys(this.lab.topology.flavorRamMib).join(', ')}`);
    const host = this.lab.topology.computes[0]!.name;
    const name = `x${++this.counter}-${pool}-${flavor}`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 31);
    const vm = await this.lab.vms.boot({
      name,
      host,
      flavor,
      ramMib,
      disk: { kind: 'rbd', pool, image: experimentImage(flavor), conf: this.lab.cephConf },
      load: guestLoad(this.spec, ramMib, load),
    });
    // Only this VM serves the application while it is measured.
    const servers = await this.lab.lb.readBack().catch(() => [] as LbServerState[]);
    this.parked = servers.filter((s) => s.backend === this.lab.backend && s.admin !== 'maint');
    for (const s of this.parked) await this.lab.lb.drain({ backend: s.backend, server: s.server }).catch(() => {});
    await this.lab.lb.addServer({ backend: this.lab.backend, server: name }, vm.address.split('/')[0]!, 80, this.spec.policy.weights.w2);
    return { id: name, host, pool, flavor, load };
  }

  async migrate(vm: VmHandle, _source: string, request: MigrateRequest): Promise<MigrationRecord> {
    return migrateVm({
      vms: this.lab.vms,
      name: vm.id,
      target: request.target,
      settings: this.spec.live_migration,
      linkMbit: this.spec.network.migration_bandwidth_mbit,
      rep: request.rep,
      load: vm.load,
      diskWindowS: this.spec.experiments.disk_load.window_s,
      log: this.log,
    });
  }

  async startProbe(vm: VmHandle): Promise<ProbeSession> {
    const address = this.lab.vms.get(vm.id).address.split('/')[0]!;
    const urls = { haproxy: `http://${this.lab.topology.controller.ip}/`, direct: `http://${address}/` };
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.lab.topology.controller.netns,
        process.execPath,
        CLI,
        'experiment',
        'probe',
        '--url',
        urls.haproxy,
        '--url',
        urls.direct,
        '--interval-ms',
        String(this.spec.experiments.probe_interval_ms),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stdout = { text: '' };
    child.stdout!.on('data', (d: Buffer) => (stdout.text += d.toString()));
    // Wait until it probes (node + tsx take a moment to start).
    await new Promise<void>((resolveStarted, reject) => {
      const timer = setTimeout(() => reject(new Error('the probe did not start within 30 s')), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('probing')) {
          clearTimeout(timer);
          resolveStarted();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the probe exited with code ${code}`));
      });
    });
    const probe: LabProbe = { child, stdout, urls };
    return probe;
  }

  async stopProbe(session: ProbeSession): Promise<ProbeGaps> {
    const { child, stdout, urls } = session as LabProbe;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
    const results = JSON.parse(stdout.text.trim().split('\n').pop() || '{}') as Record<string, { longest_gap_ms: number | null }>;
    const gap = (url: string) => results[url]?.longest_gap_ms ?? Number.NaN;
    return { haproxy_ms: gap(urls.haproxy), direct_ms: gap(urls.direct) };
  }

  async destroyVm(vm: VmHandle): Promise<void> {
    await removeFromLoadBalancer(this.lab, vm.id, this.log);
    for (const s of this.parked) await this.lab.lb.ready({ backend: s.backend, server: s.server }).catch(() => {});
    this.parked = [];
    await this.lab.vms.stop(vm.id);
  }

  async prefillFio(pool: string): Promise<void> {
    await runFio(this.inController(), fioPrefillArgs({ pool, image: FIO_IMAGE, clientName: 'admin' }), fioEnv(this.lab.cephConf));
  }

  async runFio(pool: string, job: FioJobKind, _repeat: number): Promise<string> {
    return runFio(
      this.inController(),
      fioRbdArgs({ pool, image: FIO_IMAGE, clientName: 'admin' }, job, this.spec.experiments.fio),
      fioEnv(this.lab.cephConf),
    );
  }

  async collectConditions(): Promise<Conditions> {
    const compute = this.lab.topology.computes[0]!;
    const tc = await this.runner('ip', ['netns', 'exec', compute.netns, 'tc', 'qdisc', 'show', 'dev', UPLINK], {}).catch(() => undefined);
    return collectLocalConditions({
      runner: this.runner,
      spec: this.spec,
      target: 'lab',
      accel: labAccel(this.spec),
      link: { mbit: this.spec.network.migration_bandwidth_mbit, shaping: (tc && parseTbf(tc.stdout)) ?? 'not read back' },
      migration: {
        ...this.spec.live_migration,
        // What the lab's QMP driver does with these settings, as Nova's libvirt driver would, per flavor's lab RAM.
        nova_schedule: Object.fromEntries(
          Object.entries(this.lab.topology.flavorRamMib).map(([flavor, ramMib]) => [
            flavor,
            { ram_mib: ramMib, ...migrationPlanFor(this.spec.live_migration, ramMib) },
          ]),
        ),
        'max-bandwidth': this.spec.live_migration.bandwidth_mib > 0 ? this.spec.live_migration.bandwidth_mib * 1048576 : 1e11,
        verify: { ...this.spec.experiments.verify, disk_ops_s: 20 },
        disk_load: { ...this.spec.experiments.disk_load, block_kib: 4, pattern: 'random writes' },
      },
      notes: [`lab: ${this.lab.topology.computes.length} compute namespaces, VMs on RBD images of the pool under test`],
    });
  }
}
