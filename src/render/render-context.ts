/**
 * Everything a render needs, resolved once: the spec, the target, the plans, the secrets and the
 * Terraform outputs. Every `*-data.ts` builder is a pure function of this.
 */
import { cephFsid } from '../config/derived.js';
import { planLabTopology, type LabTopology } from '../config/lab-topology.js';
import type { TestbedSpec } from '../config/schema.js';
import { planTopology, type PlannedHost, type Topology } from '../config/topology.js';
import type { Secrets } from '../secrets/secrets.js';
import type { TfInventory } from './tf-outputs.js';

export type RenderTarget = 'cloud' | 'lab';
export const RENDER_TARGETS: readonly RenderTarget[] = ['cloud', 'lab'];

export interface RenderInput {
  readonly spec: TestbedSpec;
  readonly target: RenderTarget;
  readonly secrets: Secrets;
  /** Absolute path of the output folder (written into the inventory). */
  readonly outDir: string;
  /**
   * Address the lab's Ceph monitor listens on.
   * @default - the lab controller's address (planLabTopology(spec).controller.ip)
   */
  readonly monHost?: string;
  /**
   * The TestbedStack's `testbed_inventory` output (cloud only).
   * @default - the planned addresses, without OSD device paths
   */
  readonly tfOutputs?: TfInventory;
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

/** Where the services are reached: the first controller (cloud) or the lab controller / --mon-host. */
export function controllerIp(ctx: RenderContext): string {
  if (ctx.target === 'lab') return ctx.lab.controller.ip;
  return hostIp(ctx, ctx.topology.hosts.find((h) => h.kind === 'controller')!);
}
