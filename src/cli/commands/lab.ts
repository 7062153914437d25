/**
 * `testbed lab ...`: the one-machine lab by hand: guest build, status (the phases that the LabStack's
 * terraform_data resources call are lab-phase.ts). VMs are OpenStack's: the `openstack` client with
 * the render's clouds.yaml (`.testbed/<name>/lab/openstack/clouds.yaml`) manages them.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec, type TestbedSpec } from '../../config/index.js';
import { execaRunner, nsenter } from '../../exec/index.js';
import { buildGuestImage } from '../../lab/index.js';
import { labController, labHosts, labLoadBalancer, openLabCloud, policyJobStatus } from '../../targets/index.js';
import { UsageError, type Command, type CommandContext } from '../command.js';

function labContext(specFile: string | undefined, err: (l: string) => void) {
  const { spec, file, warnings } = loadSpec(specFile);
  for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
  return { spec, labDir: spec.lab.dir };
}

const specOption = { spec: { type: 'string' } } as const;

export const labGuestCommand: Command = {
  // Not ['lab', 'guest']: that is the guest lab phase (`testbed lab guest up|down`, lab-phase.ts).
  name: ['lab', 'guest', 'build'],
  summary: 'build (or find cached) the guest kernel and initramfs, without the KVM probe of the guest phase',
  usage: 'testbed lab guest build [--spec FILE]',
  async run({ argv, out, err }: CommandContext) {
    const { values } = parseArgs({ args: [...argv], options: specOption });
    const ctx = labContext(values.spec, err);
    const image = await buildGuestImage({ labDir: ctx.labDir, log: err });
    out(JSON.stringify(image, null, 2));
  },
};

export const labStatusCommand: Command = {
  name: ['lab', 'status'],
  summary: "lab hosts, link shaping, Ceph health and pools, Nova's computes and servers, HAProxy, the policy job (exit 1 unless healthy)",
  usage: 'testbed lab status [--spec FILE] [--json]',
  async run({ argv, out, err }: CommandContext) {
    const { values } = parseArgs({ args: [...argv], options: { ...specOption, json: { type: 'boolean' } } });
    const { spec } = labContext(values.spec, err);
    const lab = labHosts(spec);
    const hosts = await lab.status();
    const links = await Promise.all(
      lab.plan.hosts
        .filter((h) => h.role === 'compute')
        .map(async (h) => ({
          host: h.name,
          link: h.hostLink,
          tc: (await execaRunner('tc', ['qdisc', 'show', 'dev', h.hostLink], { timeoutMs: 5000 }).catch(() => undefined))?.stdout.trim() ?? null,
        })),
    );
    const ceph = await cephHealth(spec);
    const nova = await novaStatus(spec);
    const lbServers = await (async () => {
      try {
        return await labLoadBalancer(spec).readBack();
      } catch {
        return undefined;
      }
    })();
    const policy = await policyJobStatus(spec, 0).catch(() => ({ state: 'unknown', mode: spec.lab.policy_job }));
    const healthy =
      hosts.every((h) => h.running) &&
      ceph?.health === 'HEALTH_OK' &&
      (nova?.computes.filter((c) => c.usable).length ?? 0) >= 2 &&
      lbServers !== undefined &&
      policy.state === 'active';
    if (values.json) {
      out(JSON.stringify({ healthy, hosts, links, ceph: ceph ?? null, nova: nova ?? null, haproxy: lbServers ?? null, policyJob: policy }, null, 2));
      return healthy ? 0 : 1;
    }
    for (const h of hosts)
      out(
        `host ${h.name.padEnd(12)} ${h.running ? `running, systemd ${h.state ?? '?'}${h.failedUnits?.length ? ` (failed: ${h.failedUnits.join(', ')})` : ''}, ${Math.round((h.pssKib ?? 0) / 1024)} MiB` : 'NOT RUNNING'}`,
      );
    for (const l of links) out(`link ${l.host.padEnd(12)} ${l.link}: ${l.tc?.split('\n').find((x) => x.includes('tbf')) ?? 'not shaped'}`);
    if (ceph) {
      out(`ceph ${ceph.health} (${ceph.osdsUp}/${ceph.osds} OSDs up)`);
      for (const p of ceph.pools) out(`pool ${p.name.padEnd(12)} ${p.rule.padEnd(16)} size ${p.size} pg_num ${p.pg_num}`);
    } else out('ceph: not reachable');
    if (nova) {
      for (const c of nova.computes) out(`nova-compute ${c.name.padEnd(12)} ${c.usable ? 'up' : 'NOT USABLE'}`);
      for (const v of nova.servers) out(`server ${v.name.padEnd(28)} ${v.status.padEnd(8)} ${v.host}`);
    } else out('nova: not reachable');
    out(
      lbServers
        ? `haproxy: ${lbServers.map((s) => `${s.backend}/${s.server} ${s.address} weight ${s.weight} ${s.admin}${s.up ? '' : ' DOWN'}`).join(', ') || 'no servers'}`
        : 'haproxy: not reachable',
    );
    out(`policy job: ${policy.state} (${policy.mode})`);
    out(healthy ? 'lab: healthy' : 'lab: NOT healthy');
    return healthy ? 0 : 1;
  },
};

async function novaStatus(spec: TestbedSpec) {
  try {
    const { compute } = openLabCloud(spec);
    const [computes, servers] = await Promise.all([compute.listHosts(), compute.listServers()]);
    return {
      computes: computes.map((h) => ({ name: h.name, usable: h.usable })),
      servers: servers.map((v) => ({ id: v.id, name: v.name, status: v.status, host: v.host })),
    };
  } catch {
    return undefined;
  }
}

interface CephHealth {
  readonly health: string;
  readonly osds: number;
  readonly osdsUp: number;
  readonly pools: ReadonlyArray<{ name: string; rule: string; size: number; pg_num: number }>;
}

/** Ceph's health, OSDs and pools as the lab's controller sees them; undefined when unreachable. */
async function cephHealth(spec: TestbedSpec): Promise<CephHealth | undefined> {
  const lab = labHosts(spec);
  const pid = lab.leaderOf(labController(lab).name);
  if (pid === undefined) return undefined;
  const ceph = async (...args: string[]) =>
    JSON.parse((await nsenter(pid, 'ceph', ['--connect-timeout', '10', ...args, '--format', 'json'], { timeoutMs: 20_000 })).stdout);
  try {
    const status = await ceph('status');
    const pools = (await ceph('osd', 'pool', 'ls', 'detail')) as Array<{ pool_name: string; crush_rule: number; size: number; pg_num: number }>;
    const rules = (await ceph('osd', 'crush', 'rule', 'dump')) as Array<{ rule_id: number; rule_name: string }>;
    return {
      health: status.health.status,
      osds: status.osdmap.num_osds,
      osdsUp: status.osdmap.num_up_osds,
      pools: pools.map((p) => ({
        name: p.pool_name,
        rule: rules.find((r) => r.rule_id === p.crush_rule)?.rule_name ?? String(p.crush_rule),
        size: p.size,
        pg_num: p.pg_num,
      })),
    };
  } catch {
    return undefined;
  }
}

export const labPurgeCommand: Command = {
  name: ['lab', 'purge'],
  summary: "remove the hosts' cache (the base rootfs and the cached .debs) that `cdktf destroy lab` keeps; refused while the lab is up",
  usage: 'testbed lab purge [--spec FILE]',
  async run({ argv, out, err }: CommandContext) {
    const { values } = parseArgs({ args: [...argv], options: specOption });
    const { spec } = labContext(values.spec, err);
    const lab = labHosts(spec, err);
    const running = lab.plan.hosts.filter((h) => lab.leaderOf(h.name) !== undefined).map((h) => h.name);
    if (running.length)
      throw new UsageError(`the lab is up (${running.join(', ')} running): run \`npx cdktf destroy lab --auto-approve\` first, then purge`);
    await lab.down({ purge: true });
    if (existsSync(spec.lab.dir) && readdirSync(spec.lab.dir).length === 0) rmSync(spec.lab.dir, { recursive: true });
    out(`purged ${lab.cacheDir}`);
  },
};

export const labCommands: readonly Command[] = [labGuestCommand, labStatusCommand, labPurgeCommand];
