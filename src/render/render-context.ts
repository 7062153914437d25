/**
 * Everything a render needs, resolved once: the spec, the target, the plans, the secrets and the
 * Terraform outputs. Every `*-data.ts` builder is a pure function of this.
 */
import { cephFsid, planLabTopology, planTopology, type LabTopology, type PlannedHost, type TestbedSpec, type Topology } from '../config/index.js';
import type { Secrets } from '../secrets/index.js';
import type { TfInventory } from './tf-outputs.js';

export type RenderTarget = 'cloud' | 'lab';
export const RENDER_TARGETS: readonly RenderTarget[] = ['cloud', 'lab'];

/**
 * The lab's container hosts (src/lab/hosts), for which Ceph runs on a host configured as a cloud VM
 * is: Debian's packages, units and paths (/etc/ceph, /var/lib/ceph), its monitor on that host's
 * address on the hosts' bridge. Derive it from the host plan (`labHostsRender` in
 * src/lab/hosts/site-inventory.ts), so the rendered ceph.conf and the inventory never disagree.
 */
export interface LabHostsRender {
  /** The hosts' range on the lab bridge (ceph.conf's public_network). */
  readonly cidr: string;
  /** The host that runs the monitor: its name (monitor id) and address. */
  readonly mon: { readonly name: string; readonly ip: string };
  /**
   * The container hosts that run OpenStack services, in plan order (controllers first): nova.conf,
   * cinder.conf and the endpoints are rendered for these names and addresses.
   * @default - the namespace lab's controller and computes
   */
  readonly hosts?: readonly ServiceHost[];
}

export interface RenderInput {
  readonly spec: TestbedSpec;
  readonly target: RenderTarget;
  readonly secrets: Secrets;
  /** Absolute path of the output folder (written into the inventory). */
  readonly outDir: string;
  /**
   * Absolute path of the secrets file (written into the inventory: the openstack_controller role
   * reads the service passwords from it).
   * @default - not written; the role then looks next to the output folder
   */
  readonly secretsFile?: string;
  /**
   * Address the lab's Ceph monitor listens on.
   * @default - the lab controller's address (planLabTopology(spec).controller.ip)
   */
  readonly monHost?: string;
  /**
   * Lab only: render Ceph for the lab's container hosts instead of the namespace lab (every Ceph
   * file under `<lab.dir>/ceph`). Overrides `monHost`.
   * @default - the namespace lab
   */
  readonly labHosts?: LabHostsRender;
  /**
   * The TestbedStack's `testbed_inventory` output (cloud only).
   * @default - the planned addresses, without OSD device paths
   */
  readonly tfOutputs?: TfInventory;
  /**
   * Whether this machine has /dev/kvm: decides the lab computes' virt_type when lab.accel is auto.
   * Cloud computes are KVM hosts whatever this says.
   * @default false
   */
  readonly hostHasKvm?: boolean;
}

export interface RenderContext extends RenderInput {
  readonly fsid: string;
  readonly topology: Topology;
  readonly lab: LabTopology;
  /** The lab's Ceph folder, `<lab.dir>/ceph`. */
  readonly labCephDir: string;
}

export function renderContext(input: RenderInput): RenderContext {
  return {
    ...input,
    fsid: cephFsid(input.spec),
    topology: planTopology(input.spec),
    lab: planLabTopology(input.spec),
    labCephDir: `${input.spec.lab.dir.replace(/\/+$/, '')}/ceph`,
  };
}

/** The testbed-network address of a cloud host: from the Terraform outputs when present, else planned. */
export function hostIp(ctx: RenderContext, host: PlannedHost): string {
  return ctx.tfOutputs?.hosts.find((h) => h.name === host.name)?.ip ?? host.ip;
}

/**
 * Address of the OpenStack API endpoints (HAProxy's frontends): in the cloud a VIP, the address just
 * below the first host's (`.9`), which the haproxy role adds to the haproxy host; in the lab, the
 * first controller's address (the container host's, with `labHosts`).
 */
export function apiVip(ctx: RenderContext): string {
  if (ctx.target === 'cloud') return ctx.topology.apiVip;
  return ctx.labHosts?.hosts?.find((h) => h.role === 'controller')?.ip ?? ctx.lab.controller.ip;
}

/** A host that runs OpenStack services: name, address and role. */
export interface ServiceHost {
  readonly name: string;
  readonly ip: string;
  readonly role: 'controller' | 'compute';
}

/** The controllers and computes of the target, in plan order. */
export function serviceHosts(ctx: RenderContext): ServiceHost[] {
  if (ctx.target === 'lab' && ctx.labHosts?.hosts) return [...ctx.labHosts.hosts];
  if (ctx.target === 'lab') return [ctx.lab.controller, ...ctx.lab.computes].map((h) => ({ name: h.name, ip: h.ip, role: h.role }));
  return ctx.topology.hosts
    .filter((h) => h.kind === 'controller' || h.roles.includes('compute'))
    .map((h) => ({ name: h.name, ip: hostIp(ctx, h), role: h.kind === 'controller' ? 'controller' : 'compute' }));
}

export function controllers(ctx: RenderContext): ServiceHost[] {
  return serviceHosts(ctx).filter((h) => h.role === 'controller');
}
