/**
 * The experiments on the one-machine lab, through its OpenStack, as on a cloud: the migrations are
 * the cloud executor's (`os-migrateLive` at 2.56 to a named host, followed through the migrations
 * API, src/targets/cloud/executor.ts); the lab adds what only the owner of the computes can read.
 *
 * - VMs: booted from a new Cinder volume of the pool's volume type (so the disk is an RBD image in
 *   the Filestore or the Bluestore pool), made from a Glance image of the lab's guest whose kernel
 *   command line carries the flavor's and the load's settings (one image per flavor × load).
 * - Each record has Nova's figures (`raw.nova`: the migration record's times, and `nova_ms`, the
 *   client's time from the API call to the server ACTIVE on the target with no task) and QEMU's, from
 *   libvirt's statistics of the completed job on the destination (`virsh domjobinfo --completed`):
 *   total time, downtime, setup time, bytes, pages, iterations.
 * - The guest checks its memory pattern and its disk ring every few seconds on its own; a migration
 *   is verified when the guest's checks on the destination after it, and every one before, passed.
 * - fio runs on this machine as a Ceph client of the lab (the controller's ceph.conf and admin
 *   keyring, read through its container), with the RBD cache off.
 * - Conditions: versions of QEMU, libvirt and Nova from a compute, of Ceph from the controller, the
 *   migration link's tc shaping read back from the host side of a compute's veth.
 * - The real downtime: the destination's RESUME − the source's STOP, QEMU's own event timestamps read
 *   through libvirt on both computes (src/lab/openstack/qemu-events.ts).
 * - The dirty rate just before each migration: QEMU's calc-dirty-rate on the source through libvirt
 *   (`virsh domdirtyrate-calc`, src/lab/openstack/dirty-rate.ts) beside the guest's own figure.
 * - Not measured yet: the client probe (the guests have no network port until the lab has Neutron's
 *   agent) and the switchover's block I/O.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestbedSpec } from '../../config/index.js';
import { execaRunner, nsenter, type Runner } from '../../exec/index.js';
import {
  collectLocalConditions,
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
  type VmHandle,
} from '../../experiments/index.js';
import {
  bootFromVolume,
  buildGuestImage,
  checkPassed,
  deleteServer,
  ensureGlanceGuest,
  getServer,
  guestChecks,
  guestLoadArgs,
  downtimeFromEvents,
  guestDirtyRates,
  parseDomJobInfo,
  parseDomStatsDirtyRate,
  QemuEventWatch,
  verificationProblem,
  type QemuEvent,
  verifyMibFor,
  type GuestCheck,
  type GuestImage,
  type GuestLoad,
  type HostLab,
} from '../../lab/index.js';
import { sleep } from '../../policy/index.js';
import { CloudExecutor } from '../cloud/executor.js';
import { GUEST_VERIFY_EVERY_S as VERIFY_EVERY_S, labController, labHosts, openLabCloud, type LabCloud } from './context.js';

const CHECKS_AFTER = 2;

/**
 * The guest's load for a cell: none, or the spec's working set dirtied at its rate; with either, the
 * pattern the guest checks (experiments.verify: a share of RAM, at least the working set, and a ring
 * of disk blocks), and with `disk` the spec's random writes.
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

/** The Glance image name of a flavor × load variant. */
export function variantName(flavor: string, load: MigrationLoad): string {
  return `${flavor}-${load.replace('+', '-')}`;
}

export interface LabExecutorProps {
  readonly spec: TestbedSpec;
  readonly runner?: Runner;
  readonly log?: (line: string) => void;
}

export class LabExecutor implements ExperimentExecutor {
  readonly target = 'lab' as const;
  private readonly spec: TestbedSpec;
  private readonly run: Runner;
  private readonly log: (line: string) => void;
  private readonly hostLab: HostLab;
  private readonly cloud: LabCloud;
  private readonly nova: CloudExecutor;
  /** Server id -> libvirt's domain name (`OS-EXT-SRV-ATTR:instance_name`), for its job statistics. */
  private readonly domains = new Map<string, string>();
  private image?: GuestImage;
  private counter = 0;

  constructor(p: LabExecutorProps) {
    this.spec = p.spec;
    this.run = p.runner ?? execaRunner;
    this.log = p.log ?? (() => {});
    this.hostLab = labHosts(p.spec);
    this.cloud = openLabCloud(p.spec);
    this.nova = new CloudExecutor({
      api: this.cloud.compute,
      namePrefix: p.spec.name,
      linkMbit: p.spec.network.migration_bandwidth_mbit,
      probeIntervalMs: p.spec.experiments.probe_interval_ms,
      pollMs: 500,
      collectConditions: () => this.collectConditions(),
    });
  }

  private leader(host: string): number {
    const pid = this.hostLab.leaderOf(host);
    if (pid === undefined) throw new Error(`lab: the ${host} container is not running`);
    return pid;
  }

  private consoleLog(host: string, serverId: string): string {
    try {
      return readFileSync(join(this.hostLab.rootOf(host), 'var/lib/nova/instances', serverId, 'console.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the guest on `host` has printed `n` checks after `afterSeq`; returns those seen. */
  private async checksAfter(vm: VmHandle, host: string, afterSeq: number, n: number, timeoutMs: number): Promise<GuestCheck[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = guestChecks(this.consoleLog(host, vm.id)).filter((c) => c.seq > afterSeq);
      if (fresh.length >= n || Date.now() > deadline) return fresh;
      await sleep(1000);
    }
  }

  async hosts(): Promise<readonly string[]> {
    // In name order, so that VMs boot on compute-1 and migrate to compute-2 first, whatever Nova's order.
    return [...(await this.nova.hosts())].sort();
  }

  async bootVm(pool: string, flavor: string, load: MigrationLoad): Promise<VmHandle> {
    const f = this.spec.flavors[flavor as keyof TestbedSpec['flavors']];
    if (!f) throw new Error(`lab: no flavor "${flavor}"; the flavors are ${Object.keys(this.spec.flavors).join(', ')}`);
    this.image ??= await buildGuestImage({ labDir: this.spec.lab.dir, log: this.log });
    const variant = variantName(flavor, load);
    const glance = await ensureGlanceGuest({
      client: this.cloud.client,
      image: this.image,
      variants: [{ name: variant, args: guestLoadArgs(guestLoad(this.spec, f.lab_ram_mib, load), VERIFY_EVERY_S) }],
      log: this.log,
    });
    const [host] = await this.hosts();
    const name = `${this.spec.name}-x${++this.counter}-${pool}-${flavor}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const t0 = Date.now();
    const server = await bootFromVolume(this.cloud.client, {
      name,
      flavor,
      imageId: glance.disks[variant]!,
      volumeType: pool,
      // Cinder sizes volumes in whole GiB; the guest uses lab.image_disk_mib of it (ring, disk load).
      volumeGb: Math.max(1, Math.ceil(this.spec.lab.image_disk_mib / 1024)),
      host,
      metadata: { 'testbed-experiment': `run/${pool}/${flavor}`, 'testbed-load': load },
    });
    const handle: VmHandle = { id: server.id, host: host!, pool, flavor, load };
    this.domains.set(server.id, server['OS-EXT-SRV-ATTR:instance_name'] ?? '');
    const first = await this.checksAfter(handle, host!, 0, 1, 300_000);
    if (!first.length) throw new Error(`lab: ${name} (${server.id}) is ACTIVE but its guest printed no check within 300 s`);
    this.log(`${name}: ACTIVE on ${host} in ${((Date.now() - t0) / 1000).toFixed(1)} s, first check ${checkPassed(first[0]!) ? 'ok' : 'FAILED'}`);
    return handle;
  }

  async migrate(vm: VmHandle, source: string, request: MigrateRequest): Promise<MigrationRecord> {
    const domain = this.domains.get(vm.id);
    const before = guestChecks(this.consoleLog(source, vm.id));
    const lastBefore = before.at(-1)?.seq ?? 0;
    const dirty = domain ? await this.dirtyRate(source, vm.id, domain) : { dirty_rate_calc_problem: 'no instance name' };
    // QEMU's events on both computes: the source's STOP and the destination's RESUME.
    const started = await Promise.allSettled([
      QemuEventWatch.start(this.leader(source), 'STOP'),
      QemuEventWatch.start(this.leader(request.target), 'RESUME'),
    ]);
    const watches = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (watches.length < 2) {
      // One started, the other did not: stop the one, so no virsh is left listening.
      await Promise.all(watches.map((w) => w.stop()));
      throw started.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
    }
    const [stopWatch, resumeWatch] = watches as [QemuEventWatch, QemuEventWatch];
    const t0 = Date.now();
    let record: MigrationRecord;
    let events: [QemuEvent[], QemuEvent[]];
    try {
      record = await this.nova.migrate(vm, source, request);
    } finally {
      events = await Promise.all([stopWatch.stop(), resumeWatch.stop()]);
    }
    const [stops, resumes] = events;
    if (record.status !== 'completed') return { ...record, raw: { nova: record.raw } };
    const real = domain ? downtimeFromEvents(stops, resumes, domain) : { ms: Number.NaN, problem: 'no instance name' };
    // Nova's time: the API call until the server is ACTIVE on the target with no task left.
    let novaMs = Number.NaN;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const s = await getServer(this.cloud.client, vm.id);
      if (s.status === 'ACTIVE' && s['OS-EXT-SRV-ATTR:host'] === request.target && !s['OS-EXT-STS:task_state']) {
        novaMs = Date.now() - t0;
        break;
      }
    }
    // QEMU's figures, from libvirt on the destination.
    const jobText = domain
      ? await nsenter(this.leader(request.target), 'virsh', ['-c', 'qemu:///system', 'domjobinfo', '--completed', domain], {
          timeoutMs: 30_000,
        })
          .then((r) => r.stdout)
          .catch((e: Error) => `error: ${e.message}`)
      : 'error: no instance name';
    const job = parseDomJobInfo(jobText);
    // The guest's own checks: every one before, and two after, on the destination.
    const after = await this.checksAfter(vm, request.target, lastBefore, CHECKS_AFTER, (CHECKS_AFTER + 2) * VERIFY_EVERY_S * 1000 + 30_000);
    const verified = before.length > 0 && after.length >= CHECKS_AFTER && [...before, ...after].every(checkPassed);
    const lastAfter = after.at(-1);
    const nan = Number.NaN;
    return {
      ...record,
      ...(verified
        ? {}
        : {
            reason: `the guest's checks: ${before.length} before, ${after.length} after the migration; ${[...before, ...after].map((c) => verificationProblem(c.verification)).find((p) => p !== undefined) ?? 'too few checks'}`,
          }),
      total_ms: job.timeElapsedMs ?? nan,
      setup_ms: job.setupMs ?? nan,
      downtime_ms: job.downtimeMs ?? nan,
      downtime_real_ms: real.ms,
      transferred_bytes: job.dataProcessedBytes ?? nan,
      normal_pages: job.normalPages ?? nan,
      zero_pages: job.constantPages ?? nan,
      iterations: job.iterations ?? nan,
      nova_ms: novaMs,
      nova_record_ms: record.total_ms,
      pattern_verified: verified,
      verified_pages: lastAfter?.verification.memPages ?? 0,
      verified_blocks: lastAfter?.verification.diskBlocks ?? 0,
      ...(loadWritesDisk(vm.load) ? { verified_load_blocks: lastAfter?.verification.loadBlocks ?? 0 } : {}),
      ...dirty,
      raw: {
        nova: record.raw,
        libvirt: job.fields,
        qemu_events: { source: stops, target: resumes, ...(real.problem ? { problem: real.problem } : {}) },
        guest_checks: { before: before.length, after },
      },
    };
  }

  /**
   * QEMU's calc-dirty-rate on the source over 1 s (page-sampling: the lab's QEMU runs under TCG),
   * through libvirt, and the guest's own rate for the same second: its first STAT line after.
   */
  private async dirtyRate(host: string, serverId: string, domain: string): Promise<Partial<MigrationRecord>> {
    const virsh = (args: string[]) => nsenter(this.leader(host), 'virsh', ['-c', 'qemu:///system', ...args], { timeoutMs: 30_000 });
    try {
      await virsh(['domdirtyrate-calc', domain, '--seconds', '1', '--mode', 'page-sampling']);
      let rate = parseDomStatsDirtyRate((await virsh(['domstats', domain, '--dirtyrate'])).stdout);
      for (const deadline = Date.now() + 10_000; rate?.status === 1 && Date.now() < deadline;) {
        await sleep(200);
        rate = parseDomStatsDirtyRate((await virsh(['domstats', domain, '--dirtyrate'])).stdout);
      }
      if (rate?.status !== 2 || rate.mibPerS === undefined)
        return { dirty_rate_calc_problem: `libvirt's dirty-rate calculation did not finish (calc_status ${rate?.status ?? 'absent'})` };
      const seen = guestDirtyRates(this.consoleLog(host, serverId)).length;
      let guest: number | undefined;
      for (const deadline = Date.now() + 2500; guest === undefined && Date.now() < deadline; await sleep(100))
        guest = guestDirtyRates(this.consoleLog(host, serverId))[seen];
      return {
        dirty_rate_calc_mib_s: rate.mibPerS,
        dirty_rate_calc_mode: rate.mode ?? 'page-sampling',
        dirty_rate_calc_ms: (rate.periodS ?? 1) * 1000,
        ...(guest !== undefined ? { dirty_rate_guest_before_mib_s: guest } : {}),
        // Measured: the cloud executor's "not measurable here" does not apply.
        dirty_rate_calc_problem: undefined,
      };
    } catch (e) {
      return { dirty_rate_calc_problem: `virsh domdirtyrate-calc failed: ${(e as Error).message.split('\n')[0]}` };
    }
  }

  async startProbe(): Promise<unknown> {
    return {};
  }

  async stopProbe(): Promise<ProbeGaps> {
    // The guests have no network port yet (no Neutron agent in the lab): nothing to probe.
    return { haproxy_ms: Number.NaN, direct_ms: Number.NaN };
  }

  async destroyVm(vm: VmHandle): Promise<void> {
    await deleteServer(this.cloud.client, vm.id);
    this.domains.delete(vm.id);
  }

  /** fio's environment: the controller's ceph.conf and admin keyring, read through its container's root. */
  private fioEnv(): Record<string, string> {
    const root = `/proc/${this.leader(labController(this.hostLab).name)}/root/etc/ceph`;
    return { CEPH_CONF: `${root}/ceph.conf`, CEPH_ARGS: `--rbd_cache=false --keyring=${root}/ceph.client.admin.keyring` };
  }

  async prefillFio(pool: string): Promise<void> {
    await runFio(this.run, fioPrefillArgs({ pool, image: 'fio-1', clientName: 'admin' }), this.fioEnv());
  }

  async runFio(pool: string, job: FioJobKind): Promise<string> {
    return runFio(this.run, fioRbdArgs({ pool, image: 'fio-1', clientName: 'admin' }, job, this.spec.experiments.fio), this.fioEnv());
  }

  async collectConditions(): Promise<Conditions> {
    const compute = this.hostLab.plan.hosts.find((h) => h.role === 'compute')!;
    const controller = labController(this.hostLab);
    const tc = await this.run('tc', ['qdisc', 'show', 'dev', compute.hostLink], {}).catch(() => undefined);
    // QEMU, libvirt and Nova as a compute has them, Ceph as the controller has it; the rest from this machine.
    const inside: Record<string, string> = {
      'qemu-system-x86_64': compute.name,
      libvirtd: compute.name,
      'nova-compute': compute.name,
      ceph: controller.name,
    };
    const runner: Runner = (file, args, options) =>
      inside[file] ? nsenter(this.leader(inside[file]!), file, args, options) : this.run(file, args, options);
    return collectLocalConditions({
      runner,
      spec: this.spec,
      target: 'lab',
      accel: 'tcg',
      link: { mbit: this.spec.network.migration_bandwidth_mbit, shaping: (tc && parseTbf(tc.stdout)) ?? 'not read back' },
      migration: { ...this.spec.live_migration, verify: { ...this.spec.experiments.verify, every_s: VERIFY_EVERY_S } },
      notes: [
        `lab: OpenStack on ${this.hostLab.plan.hosts.length} container hosts; Nova live migration (os-migrateLive 2.56) between ${this.hostLab.plan.hosts.filter((h) => h.role === 'compute').length} computes, libvirt virt_type qemu (TCG); VMs boot from Cinder volumes (RBD) of the pool under test`,
        "lab: total, setup and downtime are QEMU's, from libvirt's completed-job statistics on the destination; nova_ms is the API call until ACTIVE on the target",
        "lab: no client probe yet (the guests have no network port until the lab runs Neutron's agent)",
      ],
    });
  }
}
