/**
 * The cloud's one wiring point: what the policy job's drivers and the experiment executor need of a
 * deployed testbed, built from the credentials (clouds.yaml or OS_*, src/policy/openstack-auth.ts):
 * Nova's Compute API, its metrics, and HAProxy's runtime API when a socket is given.
 */
import {
  HaproxyLoadBalancer,
  loadCredentials,
  NovaClient,
  NovaComputeApi,
  NovaMetricsSource,
  type OpenStackCredentials,
} from '../../policy/index.js';

export interface CloudOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** An explicit clouds.yaml. @default - the usual search path, then OS_* */
  readonly cloudsFile?: string;
  /** HAProxy admin socket. @default - no load balancer */
  readonly haproxySocket?: string;
}

export interface CloudContext {
  readonly credentials: OpenStackCredentials;
  readonly compute: NovaComputeApi;
  readonly metrics: NovaMetricsSource;
  readonly lb?: HaproxyLoadBalancer;
}

export function openCloud(o: CloudOptions = {}): CloudContext {
  const credentials = loadCredentials(o.env ?? process.env, o.cloudsFile);
  const client = new NovaClient({ credentials });
  const compute = new NovaComputeApi(client);
  const lb = o.haproxySocket ? new HaproxyLoadBalancer({ socket: o.haproxySocket }) : undefined;
  return { credentials, compute, metrics: new NovaMetricsSource(client, compute), ...(lb ? { lb } : {}) };
}
