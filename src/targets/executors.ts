/**
 * The hook that picks the experiment executor for a target: `createExecutor(target, spec)`.
 *
 * - `lab`: the one-machine lab (QEMU in network namespaces, RBD disks, HAProxy): src/experiments/lab-executor.ts.
 * - `cloud`: a deployed testbed through Nova, over the policy job's `ComputeApi`.
 */
import { existsSync } from 'node:fs';
import { planLabTopology } from '../config/lab-topology.js';
import { execaRunner, type Runner } from '../exec/runner.js';
import { cephConfPath } from '../lab-phases/lab-context.js';
import { netnsExists } from '../lab/netns.js';
import type { TestbedSpec } from '../config/schema.js';
import type { ComputeApi } from '../policy/interfaces.js';
import { CloudExecutor } from './cloud-executor.js';
import { collectLocalConditions } from './conditions.js';
import type { ExperimentExecutor, ExperimentTarget } from './executor.js';
import type { ProbeTarget } from './probe.js';

export const TARGETS: readonly ExperimentTarget[] = ['lab', 'cloud'];

/** The target cannot run here yet or is misconfigured: printed without a stack trace (exit code 2). */
export class ExecutorUnavailableError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorUnavailableError';
  }
}

export interface ExecutorOptions {
  readonly runner?: Runner;
  /** Cloud: the load balancer's URL as a client sees it. */
  readonly lbUrl?: ProbeTarget;
  /** Cloud: the Compute API; @default - Nova from clouds.yaml / OS_* (src/policy/nova-compute.ts) */
  readonly computeApi?: ComputeApi;
}

/** The lab: src/experiments/lab-executor.ts over the lab's VMs, driver, HAProxy and Ceph. */
export async function createLabExecutor(spec: TestbedSpec, o: ExecutorOptions): Promise<ExperimentExecutor> {
  // Nothing is started or built for a lab that is not up: say so and how to bring it up.
  const ns = planLabTopology(spec).controller.netns;
  const conf = cephConfPath(spec);
  if (!netnsExists(ns) || !existsSync(conf)) {
    throw new ExecutorUnavailableError(
      `the lab is not up (${netnsExists(ns) ? `no ${conf}` : `no network namespace ${ns}`}): run \`npx cdktf deploy lab --auto-approve\` first (with the same spec)`,
    );
  }
  const { LabExecutor } = await import('./lab-executor.js');
  return LabExecutor.open(spec, o.runner ?? execaRunner, (line) => process.stderr.write(`[lab] ${line}\n`));
}

async function defaultComputeApi(): Promise<ComputeApi> {
  // Resolved at run time: the Nova driver belongs to the policy job (src/policy/nova-compute.ts),
  // constructed as `new NovaComputeApi(new NovaClient({ credentials: loadCredentials() }))`.
  type NovaModule = {
    NovaClient?: new (o: { credentials: unknown }) => unknown;
    NovaComputeApi?: new (client: unknown) => ComputeApi;
  };
  let nova: NovaModule;
  let auth: { loadCredentials?: () => unknown };
  try {
    nova = (await import('../policy/nova-compute.js' as string)) as NovaModule;
    auth = (await import('../policy/openstack-auth.js' as string)) as typeof auth;
  } catch (err) {
    throw new ExecutorUnavailableError(
      `cloud executor: the Nova ComputeApi (src/policy/nova-compute.ts) is not available: ${(err as Error).message}`,
    );
  }
  if (!nova.NovaClient || !nova.NovaComputeApi || !auth.loadCredentials) {
    throw new ExecutorUnavailableError('cloud executor: src/policy/nova-compute.ts does not export NovaClient and NovaComputeApi');
  }
  return new nova.NovaComputeApi(new nova.NovaClient({ credentials: auth.loadCredentials() }));
}

export async function createExecutor(target: ExperimentTarget, spec: TestbedSpec, o: ExecutorOptions = {}): Promise<ExperimentExecutor> {
  const runner = o.runner ?? execaRunner;
  switch (target) {
    case 'lab':
      return createLabExecutor(spec, o);
    case 'cloud':
      return new CloudExecutor({
        api: o.computeApi ?? (await defaultComputeApi()),
        namePrefix: spec.name,
        linkMbit: spec.network.migration_bandwidth_mbit,
        probeIntervalMs: spec.experiments.probe_interval_ms,
        lbUrl: o.lbUrl,
        collectConditions: () =>
          collectLocalConditions({
            runner,
            spec,
            target: 'cloud',
            notes: ['Cloud run: downtime is the client probe (Nova does not report QEMU downtime); versions are those of the client machine.'],
          }),
      });
    default:
      throw new ExecutorUnavailableError(`--target: unknown "${String(target)}"; allowed: ${TARGETS.join(', ')}`);
  }
}
