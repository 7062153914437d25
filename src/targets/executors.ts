/**
 * The hook that picks the experiment executor for a target: `createExecutor(target, spec)`.
 *
 * - `lab`: the one-machine lab through its OpenStack (Nova on container hosts, RBD disks): src/targets/lab/executor.ts.
 * - `cloud`: a deployed testbed through Nova, over the policy job's `ComputeApi`: src/targets/cloud/executor.ts.
 */
import type { TestbedSpec } from '../config/index.js';
import { execaRunner, type Runner } from '../exec/index.js';
import { collectLocalConditions, type ExperimentExecutor, type ExperimentTarget, type ProbeTarget } from '../experiments/index.js';
import type { ComputeApi } from '../policy/index.js';
import { CloudExecutor } from './cloud/executor.js';
import { labControllerLeader, LabNotUpError, openLabCloud } from './lab/context.js';

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
  /** Cloud: the Compute API; @default - Nova from clouds.yaml / OS_* (src/targets/cloud/context.ts) */
  readonly computeApi?: ComputeApi;
}

/** The lab: src/targets/lab/executor.ts, through the lab's OpenStack (the cloud executor's migrations) plus what its computes tell. */
export async function createLabExecutor(spec: TestbedSpec, o: ExecutorOptions): Promise<ExperimentExecutor> {
  // Nothing is started or built for a lab that is not up: say so and how to bring it up.
  try {
    labControllerLeader(spec);
    openLabCloud(spec);
  } catch (e) {
    if (e instanceof LabNotUpError) throw new ExecutorUnavailableError(e.message);
    throw e;
  }
  const { LabExecutor } = await import('./lab/executor.js');
  return new LabExecutor({ spec, runner: o.runner ?? execaRunner, log: (line) => process.stderr.write(`[lab] ${line}\n`) });
}

async function defaultComputeApi(): Promise<ComputeApi> {
  // Loaded here: only a cloud run needs Nova's client (src/targets/cloud/context.ts).
  const { openCloud } = await import('./cloud/context.js');
  return openCloud().compute;
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
