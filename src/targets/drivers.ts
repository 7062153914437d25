/**
 * The factory hook: picks the policy job's drivers by target.
 * - `nova`: Nova + Keystone from clouds.yaml or OS_* (and HAProxy if a socket is given): src/targets/cloud/context.ts;
 * - `lab`: the lab's own Nova and HAProxy, as this machine reaches them (src/targets/lab/context.ts).
 * Add a target here; the CLI and the loop only see `PolicyDrivers`.
 */
import type { TestbedSpec } from '../config/index.js';
import type { ComputeApi, LoadBalancer, MetricsSource } from '../policy/index.js';
import { openCloud } from './cloud/context.js';

export const POLICY_TARGETS = ['nova', 'lab'] as const;
export type PolicyTarget = (typeof POLICY_TARGETS)[number];

export interface PolicyDrivers {
  readonly compute: ComputeApi;
  readonly metrics: MetricsSource;
  readonly lb?: LoadBalancer;
  /** For logs: what the job talks to (never credentials). */
  readonly describe: string;
}

export interface DriverOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** An explicit clouds.yaml. @default - the usual search path, then OS_* */
  readonly cloudsFile?: string;
  /** HAProxy admin socket for the nova target. @default - no load balancer */
  readonly haproxySocket?: string;
  readonly log?: (line: string) => void;
}

export async function createDrivers(target: PolicyTarget, spec: TestbedSpec, o: DriverOptions = {}): Promise<PolicyDrivers> {
  switch (target) {
    case 'nova': {
      const { credentials, compute, metrics, lb } = openCloud(o);
      return {
        compute,
        metrics,
        ...(lb ? { lb } : {}),
        describe: `nova via ${credentials.source}${lb ? `, haproxy at ${o.haproxySocket}` : ''}`,
      };
    }
    case 'lab': {
      // The lab's own OpenStack, from this machine: its render's clouds.yaml and HAProxy's socket in the controller.
      const { labCloudsFile, labHaproxySocket } = await import('./lab/context.js');
      const haproxySocket = labHaproxySocket(spec);
      const { compute, metrics, lb } = openCloud({
        ...o,
        cloudsFile: labCloudsFile(spec),
        haproxySocket,
        env: { ...(o.env ?? process.env), OS_CLOUD: spec.name },
      });
      return { compute, metrics, ...(lb ? { lb } : {}), describe: `the lab's Nova (${spec.name}), haproxy in its controller` };
    }
  }
}
