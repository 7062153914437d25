/**
 * The lab's one wiring point: everything a lab command, phase, executor or policy driver needs,
 * built from the spec: the plan, where Ceph's and HAProxy's files are, the rendered configuration,
 * the accelerator, the guest image, QEMU's runtime, the VMs, the driver (ComputeApi + MetricsSource)
 * and the load balancer (HAProxy's runtime API).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planLabTopology, type LabTopology, type TestbedSpec } from '../../config/index.js';
import { buildGuestImage, detectQemu, LabDriver, LabVms, type Accel } from '../../lab/index.js';
import { HaproxyLoadBalancer } from '../../policy/index.js';
import { renderTestbed } from '../../render/index.js';
import type { PhaseContext } from './phases/phase.js';

export interface LabContext {
  readonly spec: TestbedSpec;
  readonly topology: LabTopology;
  /** The ceph.conf the lab's clients use (the one the Ceph roles installed under lab.dir). */
  readonly cephConf: string;
  readonly vms: LabVms;
  readonly driver: LabDriver;
  readonly lb: HaproxyLoadBalancer;
  /** HAProxy's backend for the VMs' application. */
  readonly backend: string;
}

/** The RBD image a lab VM of `flavor` boots from in each pool (created by the ceph_pools role). */
export function labImage(flavor: string): string {
  return `${flavor}-1`;
}

export function cephConfPath(spec: TestbedSpec): string {
  return join(spec.lab.dir, 'ceph', 'ceph.conf');
}

export function haproxyFiles(labDir: string) {
  const dir = join(labDir, 'haproxy');
  return { dir, pidFile: join(dir, 'haproxy.pid'), logFile: join(dir, 'haproxy.log'), socket: join(dir, 'admin.sock') };
}

export interface AccelRecord {
  readonly accel: Accel;
  readonly reason: string;
}

export function accelFile(labDir: string): string {
  return join(labDir, 'accel.json');
}

/** The accelerator the lab's VMs use: the spec's, or for `auto` the recorded probe (KVM if /dev/kvm exists, before any probe). */
export function labAccel(spec: TestbedSpec): Accel {
  if (spec.lab.accel !== 'auto') return spec.lab.accel;
  const forced = process.env.TESTBED_LAB_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  const file = accelFile(spec.lab.dir);
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as AccelRecord).accel;
  return existsSync('/dev/kvm') ? 'kvm' : 'tcg';
}

/** Renders the lab's configuration (idempotent: unchanged files are not rewritten) and returns its inventory. */
export function renderLab(ctx: PhaseContext): { dir: string; inventory: string } {
  const result = renderTestbed({ spec: ctx.spec, target: 'lab' });
  const changed = result.changes.filter((c) => c.change !== 'unchanged').length;
  ctx.log(`rendered ${result.changes.length} files (${changed} changed) into ${result.outDir}`);
  return { dir: result.outDir, inventory: join(result.outDir, 'inventory.yml') };
}

export async function openLab(spec: TestbedSpec, log: (line: string) => void = () => {}): Promise<LabContext> {
  const topology = planLabTopology(spec);
  const image = await buildGuestImage({ labDir: spec.lab.dir, log });
  const runtime = await detectQemu(labAccel(spec));
  const vms = new LabVms({
    labDir: spec.lab.dir,
    topology,
    cidr: spec.lab.cidr,
    runtime,
    image: { kernel: image.kernel, initrd: image.initrd },
    log,
  });
  const driver = new LabDriver({ vms, settings: spec.live_migration, linkMbit: spec.network.migration_bandwidth_mbit, log });
  const lb = new HaproxyLoadBalancer({ socket: haproxyFiles(spec.lab.dir).socket });
  return { spec, topology, cephConf: cephConfPath(spec), vms, driver, lb, backend: 'app' };
}

/**
 * Removes a server from HAProxy's backend: HAProxy refuses while connections are attached (idle
 * keep-alive ones included), so it is put in maintenance, its sessions are shut, and the removal retried.
 */
export async function removeFromLoadBalancer(lab: LabContext, server: string, log: (line: string) => void = () => {}): Promise<void> {
  const ref = { backend: lab.backend, server };
  let last: Error | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await lab.lb.removeServer(ref);
      return;
    } catch (e) {
      last = e as Error;
      if (/No such server|not found/i.test(last.message)) return;
      await lab.lb.command(`disable server ${lab.backend}/${server}`).catch(() => '');
      await lab.lb.command(`shutdown sessions server ${lab.backend}/${server}`).catch(() => '');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  log(`HAProxy: ${server} stays in ${lab.backend}: ${last?.message}`);
}
