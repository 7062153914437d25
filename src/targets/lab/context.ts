/**
 * The lab's one wiring point: everything a lab command, phase, executor or policy driver needs,
 * built from the spec. The lab is a way to make hosts (Debian containers under systemd-nspawn, on
 * the lab bridge); after that it is configured and driven as a cloud is: site.yml over SSH, then
 * OpenStack's APIs with the rendered clouds.yaml.
 *
 * - `labHosts(spec)`: the host layer (src/lab/hosts), its plan from `lab.cidr`, `lab.bridge`,
 *   `lab.link_prefix` and `lab.compute_hosts`, its cache in `lab.cache_dir`.
 * - `renderLab(spec)`: the render for those hosts (`.testbed/<name>/lab`) and the site inventory.
 * - `openLabCloud(spec)`: Nova, Glance, Cinder and Keystone of the lab, from the render's clouds.yaml.
 * - `labHaproxySocket(spec)`: HAProxy's admin socket inside the controller, as this machine reaches it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestbedSpec } from '../../config/index.js';
import { execaRunner, nsenter, type Runner } from '../../exec/index.js';
import { HostLab, labHostsRender, writeSiteInventory, type PlannedHost } from '../../lab/index.js';
import { HaproxyLoadBalancer, loadCredentials, NovaClient, NovaComputeApi, type OpenStackCredentials } from '../../policy/index.js';
import { defaultOutDir, renderTestbed } from '../../render/index.js';

/** The lab's host layer for this spec (nothing runs until `up()`). */
export function labHosts(spec: TestbedSpec, log: (line: string) => void = () => {}): HostLab {
  return new HostLab({
    dir: spec.lab.dir,
    ...(spec.lab.cache_dir ? { cacheDir: spec.lab.cache_dir } : {}),
    plan: { cidr: spec.lab.cidr, bridge: spec.lab.bridge, prefix: spec.lab.link_prefix, computes: spec.lab.compute_hosts },
    computeLinkMbit: spec.network.migration_bandwidth_mbit,
    log,
  });
}

/** Where the lab's render goes: `.testbed/<name>/lab` under the working directory. */
export function labRenderDir(spec: TestbedSpec): string {
  return defaultOutDir(spec, 'lab');
}

export interface RenderedLab {
  readonly dir: string;
  /** The site inventory: the render's variables with the planned hosts and their SSH settings. */
  readonly inventory: string;
}

/**
 * Renders the lab's configuration for its container hosts (unchanged files are not rewritten) and
 * writes the site inventory Ansible reaches them with. The hosts must be up (their SSH key exists).
 */
export function renderLab(spec: TestbedSpec, log: (line: string) => void = () => {}): RenderedLab {
  const hosts = labHosts(spec);
  const result = renderTestbed({ spec, target: 'lab', labHosts: labHostsRender(hosts.plan), hostHasKvm: false });
  const changed = result.changes.filter((c) => c.change !== 'unchanged').length;
  log(`rendered ${result.changes.length} files (${changed} changed) into ${result.outDir}`);
  const inventory = writeSiteInventory({
    plan: hosts.plan,
    renderedDir: result.outDir,
    file: join(hosts.hostsDir, 'site-inventory.yml'),
    ssh: hosts.sshFiles,
  });
  return { dir: result.outDir, inventory };
}

/** The render's clouds.yaml (the admin's credentials for the lab's Keystone; mode 0600). */
export function labCloudsFile(spec: TestbedSpec): string {
  return join(labRenderDir(spec), 'openstack', 'clouds.yaml');
}

export interface LabCloud {
  readonly credentials: OpenStackCredentials;
  readonly client: NovaClient;
  readonly compute: NovaComputeApi;
}

/** The lab is not up far enough for what was asked: printed without a stack trace (exit code 2). */
export class LabNotUpError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'LabNotUpError';
  }
}

/** The lab's OpenStack, as its admin (the cloud named after the testbed in the render's clouds.yaml). */
export function openLabCloud(spec: TestbedSpec): LabCloud {
  const file = labCloudsFile(spec);
  if (!existsSync(file))
    throw new LabNotUpError(`the lab is not up (no ${file}): run \`npx cdktf deploy lab --auto-approve\` first (with the same spec)`);
  const credentials = loadCredentials({ OS_CLOUD: spec.name }, file);
  const client = new NovaClient({ credentials, timeoutMs: 60_000 });
  return { credentials, client, compute: new NovaComputeApi(client) };
}

/** The first controller: Ceph's monitor, the APIs, HAProxy and the policy job run there. */
export function labController(hosts: HostLab): PlannedHost {
  return hosts.plan.hosts.find((h) => h.role === 'controller')!;
}

/** The controller's systemd PID, or a `LabNotUpError` saying how to bring it up. */
export function labControllerLeader(spec: TestbedSpec): number {
  const hosts = labHosts(spec);
  const name = labController(hosts).name;
  const pid = hosts.leaderOf(name);
  if (pid === undefined)
    throw new LabNotUpError(
      `the lab is not up (its ${name} container is not running): run \`npx cdktf deploy lab --auto-approve\` first (with the same spec)`,
    );
  return pid;
}

/** HAProxy's admin socket in the controller (/run/haproxy/admin.sock), reached through the container's root. */
export function labHaproxySocket(spec: TestbedSpec): string {
  return `/proc/${labControllerLeader(spec)}/root/run/haproxy/admin.sock`;
}

export function labLoadBalancer(spec: TestbedSpec): HaproxyLoadBalancer {
  return new HaproxyLoadBalancer({ socket: labHaproxySocket(spec) });
}

/** The policy job's systemd unit, installed by the migration_policy role. */
export const POLICY_UNIT = 'sds-testbed-policy';

export interface PolicyJobStatus {
  /** systemd's word for the unit in the controller (`active`, `inactive`, `failed`, ...), or `no controller`. */
  readonly state: string;
  readonly mode: TestbedSpec['lab']['policy_job'];
  /** The last structured events of the job's journal, newest last. */
  readonly events: readonly Record<string, unknown>[];
}

/** The installed policy job, as the controller's systemd and journal tell. */
export async function policyJobStatus(spec: TestbedSpec, last = 20, runner: Runner = execaRunner): Promise<PolicyJobStatus> {
  const mode = spec.lab.policy_job;
  const hosts = labHosts(spec);
  const pid = hosts.leaderOf(labController(hosts).name);
  if (pid === undefined) return { state: 'no controller', mode, events: [] };
  const state = (await nsenter(pid, 'systemctl', ['is-active', POLICY_UNIT], { okExitCodes: [3, 4] }, runner)).stdout.trim();
  const journal = (
    await nsenter(pid, 'journalctl', ['-u', POLICY_UNIT, '-o', 'cat', '--no-pager', '-n', String(last * 5)], { timeoutMs: 30_000 }, runner)
  ).stdout;
  const events = journal
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .slice(-last);
  return { state, mode, events };
}

/** The lab's guests check themselves this often (s); a migration waits about two periods for the checks after it. */
export const GUEST_VERIFY_EVERY_S = 4;
