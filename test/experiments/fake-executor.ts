/** A scripted `ExperimentExecutor` that records every call; migrations follow the physics of a 1 Gbit link. */
import type { MigrationLoad, MigrationRecord } from '../../src/experiments/migration-record.js';
import type { Conditions } from '../../src/experiments/conditions.js';
import type { ExperimentExecutor, MigrateRequest, VmHandle } from '../../src/experiments/executor.js';
import type { FioJobKind } from '../../src/experiments/fio.js';
import type { ProbeGaps } from '../../src/experiments/results.js';

export const FAKE_CONDITIONS: Conditions = {
  collected_at: '2026-01-01T00:00:00.000Z',
  target: 'fake',
  accel: 'tcg',
  cpu_model: 'fake CPU',
  cpu_cores: 2,
  kernel: '6.1.0-fake',
  qemu_version: '10.0.2',
  ceph_version: '16.2.15 pacific (stable)',
  libvirt_version: null,
  nova_version: null,
  fio_version: '3.33',
  link: { mbit: 1000, shaping: 'tc tbf rate 1Gbit' },
  storage: { path: '/lab', fstype: 'ext4', device: '/dev/vda1', rotational: true, filestore_filesystem: 'xfs' },
  migration: { downtime_ms: 300 },
  spec_hash: 'f'.repeat(64),
  git_commit: null,
  git_dirty: null,
  node_version: 'v20',
  notes: [],
};

export interface FakeOptions {
  /** Throw from bootVm on this boot (1-based) to simulate a crash mid-run. */
  readonly crashOnBoot?: number;
  /** Make migrate throw for these keys (pool-flavor-load-rN). */
  readonly failMigrations?: readonly string[];
  /** Raw fio JSON returned for every job. */
  readonly fioJson: string;
}

export class FakeExecutor implements ExperimentExecutor {
  readonly target = 'fake' as const;
  readonly calls: string[] = [];
  private boots = 0;
  constructor(private readonly o: FakeOptions) {}

  async hosts() {
    return ['compute-1', 'compute-2'];
  }
  async bootVm(pool: string, flavor: string, load: MigrationLoad): Promise<VmHandle> {
    this.boots++;
    this.calls.push(`boot ${pool}-${flavor}-${load}`);
    if (this.boots === this.o.crashOnBoot) throw new Error('simulated crash: QEMU did not start');
    return { id: `vm-${pool}-${flavor}-${load}`, host: 'compute-1', pool, flavor, load };
  }
  async migrate(vm: VmHandle, source: string, r: MigrateRequest): Promise<MigrationRecord> {
    const key = `${vm.pool}-${vm.flavor}-${vm.load}-r${r.rep}`;
    this.calls.push(`migrate ${key} ${source}->${r.target}`);
    if (this.o.failMigrations?.includes(key)) throw new Error('migration did not converge in 40 s');
    const bytes = vm.load === 'memory' ? 400e6 : 85e6;
    return {
      vm: vm.id,
      flavor: vm.flavor,
      pool: vm.pool,
      load: vm.load,
      rep: r.rep,
      source,
      target: r.target,
      status: 'completed',
      total_ms: (bytes / 125e6) * 1000 * 1.05,
      setup_ms: 5,
      downtime_ms: 40,
      downtime_real_ms: 60,
      transferred_bytes: bytes,
      normal_pages: bytes / 4096,
      zero_pages: 1000,
      iterations: 3,
      link_mbit: 1000,
      pattern_verified: true,
      verified_pages: vm.load === 'memory' ? 32768 : 16384,
      verified_blocks: 256,
      verify_ms: 120,
      nova_schedule: [{ at_ms: 0, action: 'downtime-limit', value: 50 }],
      raw: { status: 'completed' },
    };
  }
  async startProbe(vm: VmHandle) {
    return vm.id;
  }
  async stopProbe(): Promise<ProbeGaps> {
    return { haproxy_ms: 75, direct_ms: 70 };
  }
  async destroyVm(vm: VmHandle) {
    this.calls.push(`destroy ${vm.id} on ${vm.host}`);
  }
  async prefillFio(pool: string) {
    this.calls.push(`prefill ${pool}`);
  }
  async runFio(pool: string, job: FioJobKind, repeat: number) {
    this.calls.push(`fio ${pool}-${job}-r${repeat}`);
    return this.o.fioJson;
  }
  async collectConditions() {
    return FAKE_CONDITIONS;
  }
}
