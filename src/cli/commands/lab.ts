/**
 * `testbed lab ...`: the one-machine lab by hand: guest build, vm boot|stop|list|migrate, status
 * (the phases that the LabStack's terraform_data resources call are lab-phase.ts).
 */
import { FLAVOR_NAMES, formatProblem, loadSpec, planLabTopology, type FlavorName, type TestbedSpec } from '../../config/index.js';
import { execaRunner } from '../../exec/index.js';
import { HaproxyLoadBalancer } from '../../policy/index.js';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildGuestImage, detectQemu, LabNetwork, LabVms, migrateVm, netnsExists, qemuPreflightProblem, type DiskSource } from '../../lab/index.js';
import { cephConfPath, haproxyFiles, labAccel, policyJobStatus } from '../../targets/index.js';
import { UsageError, type Command, type CommandContext } from '../command.js';

function labContext(specFile: string | undefined, err: (l: string) => void) {
  const { spec, file, warnings } = loadSpec(specFile);
  for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
  const topology = planLabTopology(spec);
  const net = new LabNetwork({ topology, linkMbit: spec.network.migration_bandwidth_mbit, log: err });
  return { spec, topology, net, labDir: spec.lab.dir };
}

async function vmsFor(ctx: ReturnType<typeof labContext>, err: (l: string) => void) {
  const runtime = await detectQemu(labAccel(ctx.spec));
  const problem = qemuPreflightProblem(runtime);
  if (problem) err(`warning: ${problem}`);
  const image = await buildGuestImage({ labDir: ctx.labDir, log: err });
  return new LabVms({ labDir: ctx.labDir, topology: ctx.topology, cidr: ctx.spec.lab.cidr, runtime, image, log: err });
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

export const labVmCommand: Command = {
  name: ['lab', 'vm'],
  summary: 'lab VMs: boot, stop, list, live-migrate (QEMU in compute namespaces)',
  usage: [
    'testbed lab vm boot NAME --host HOST [--flavor small] (--disk-file PATH | --rbd POOL/IMAGE [--ceph-conf FILE]) [--ws-mib N --rate-mib-s R]',
    '       testbed lab vm stop NAME|--all',
    '       testbed lab vm list [--json]',
    '       testbed lab vm migrate NAME --to HOST [--json]',
  ].join('\n'),
  async run({ argv, out, err }: CommandContext) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...specOption,
        host: { type: 'string' },
        to: { type: 'string' },
        flavor: { type: 'string', default: 'small' },
        'disk-file': { type: 'string' },
        rbd: { type: 'string' },
        'ceph-conf': { type: 'string' },
        'ws-mib': { type: 'string', default: '0' },
        'rate-mib-s': { type: 'string', default: '0' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const [action, name] = positionals;
    const ctx = labContext(values.spec, err);
    const hostNames = ctx.topology.computes.map((c) => c.name);
    const checkHost = (option: string, host: string) => {
      if (!hostNames.includes(host))
        throw new UsageError(`lab vm ${action}: ${option} ${JSON.stringify(host)} is not a lab compute host; allowed: ${hostNames.join(', ')}`);
    };
    const known = labVmHosts(ctx.labDir);
    const checkVm = (vm: string) => {
      if (!known.has(vm))
        throw new UsageError(
          `lab vm ${action}: no VM ${JSON.stringify(vm)} in ${ctx.labDir}; allowed: ${[...known.keys()].join(', ') || 'none (boot one first, or `npx cdktf deploy lab`)'}`,
        );
    };
    // Every argument is checked before anything is built or started.
    switch (action) {
      case 'boot': {
        if (!name || !values.host) throw new UsageError('lab vm boot: give the VM NAME and --host');
        checkHost('--host', values.host);
        const flavor = values.flavor as FlavorName;
        if (!FLAVOR_NAMES.includes(flavor))
          throw new UsageError(`lab vm boot: --flavor ${JSON.stringify(values.flavor)} is not one of ${FLAVOR_NAMES.join(', ')}`);
        const ws = wholeNumber('--ws-mib', values['ws-mib']!);
        const rate = wholeNumber('--rate-mib-s', values['rate-mib-s']!);
        let disk: DiskSource;
        if (values.rbd) {
          const [pool, image] = values.rbd.split('/');
          if (!pool || !image) throw new UsageError(`lab vm boot: --rbd must be POOL/IMAGE, got ${JSON.stringify(values.rbd)}`);
          const conf = resolve(values['ceph-conf'] ?? join('.testbed', ctx.spec.name, 'lab', 'ceph', 'ceph.conf'));
          if (!existsSync(conf)) throw new UsageError(`lab vm boot: ceph.conf ${conf} does not exist; run the Ceph lab phase or pass --ceph-conf`);
          disk = { kind: 'rbd', pool, image, conf };
        } else {
          const path = resolve(values['disk-file'] ?? join(ctx.labDir, 'disks', `${name}.raw`));
          if (!existsSync(path)) {
            mkdirSync(join(path, '..'), { recursive: true });
            execFileSync('truncate', ['-s', `${ctx.spec.lab.image_disk_mib}M`, path]);
          }
          disk = { kind: 'file', path };
        }
        const vms = await vmsFor(ctx, err);
        const vm = await vms.boot({
          name,
          host: values.host,
          flavor,
          ramMib: ctx.topology.flavorRamMib[flavor],
          disk,
          load: { wsMib: ws, rateMibS: rate, diskOpsS: 20 },
        });
        out(JSON.stringify(vm, null, 2));
        return;
      }
      case 'stop':
        if (values.all) return void (await (await vmsFor(ctx, err)).stopAll());
        if (!name) throw new UsageError('lab vm stop: give a VM NAME or --all');
        checkVm(name);
        await (await vmsFor(ctx, err)).stop(name);
        return;
      case 'list': {
        const vms = await vmsFor(ctx, err);
        const list = vms.list();
        if (values.json) out(JSON.stringify(list, null, 2));
        else
          for (const v of list)
            out(
              `${v.name.padEnd(16)} ${v.host.padEnd(10)} ${v.address.padEnd(18)} ${String(v.ramMib).padStart(5)} MiB  ${v.accel}  PID ${v.pid}${vms.running(v) ? '' : ' (not running)'}`,
            );
        return;
      }
      case 'migrate': {
        if (!name || !values.to) throw new UsageError('lab vm migrate: give the VM NAME and --to HOST');
        checkVm(name);
        checkHost('--to', values.to);
        if (known.get(name) === values.to)
          throw new UsageError(
            `lab vm migrate: --to ${JSON.stringify(values.to)} is where ${name} already runs; allowed: another compute host (${hostNames.filter((h) => h !== values.to).join(', ')})`,
          );
        const vms = await vmsFor(ctx, err);
        const record = await migrateVm({
          vms,
          name,
          target: values.to,
          settings: ctx.spec.live_migration,
          linkMbit: ctx.spec.network.migration_bandwidth_mbit,
          log: err,
        });
        out(
          values.json
            ? JSON.stringify(record, null, 2)
            : `${record.vm}: ${record.status}${record.reason ? ` (${record.reason})` : ''} total ${record.total_ms} ms, downtime ${record.downtime_ms} ms / real ${record.downtime_real_ms} ms, ${record.transferred_bytes} B, verified ${record.pattern_verified}`,
        );
        return record.status === 'completed' && record.pattern_verified ? 0 : 1;
      }
      default:
        throw new UsageError(`lab vm: action must be boot, stop, list or migrate, got ${JSON.stringify(action ?? '')}`);
    }
  },
};

function wholeNumber(option: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`lab vm boot: ${option} ${JSON.stringify(value)} is not allowed; allowed: a whole number ≥ 0`);
  return Number(value);
}

/** The lab's VM records (`<lab.dir>/vms/<name>/vm.json`, written by src/lab/vms.ts): name → host. */
function labVmHosts(labDir: string): Map<string, string> {
  const dir = join(labDir, 'vms');
  const hosts = new Map<string, string>();
  if (!existsSync(dir)) return hosts;
  for (const n of readdirSync(dir).sort()) {
    const file = join(dir, n, 'vm.json');
    if (!existsSync(file)) continue;
    try {
      hosts.set(n, String((JSON.parse(readFileSync(file, 'utf8')) as { host?: unknown }).host ?? ''));
    } catch {
      hosts.set(n, '');
    }
  }
  return hosts;
}

export const labStatusCommand: Command = {
  name: ['lab', 'status'],
  summary: 'lab hosts, link shaping, QEMU accelerator, VMs, Ceph health and pools, HAProxy, the policy job (exit 1 unless healthy)',
  usage: 'testbed lab status [--spec FILE] [--json]',
  async run({ argv, out, err }: CommandContext) {
    const { values } = parseArgs({ args: [...argv], options: { ...specOption, json: { type: 'boolean' } } });
    const ctx = labContext(values.spec, err);
    const hosts = await ctx.net.status();
    const runtime = await detectQemu(labAccel(ctx.spec));
    const problem = qemuPreflightProblem(runtime);
    const vms = new LabVms({ labDir: ctx.labDir, topology: ctx.topology, cidr: ctx.spec.lab.cidr, runtime, image: { kernel: '', initrd: '' } });
    const list = vms.list().map((v) => ({ ...v, running: vms.running(v) }));
    const ceph = await cephHealth(ctx.spec);
    const lbServers = await new HaproxyLoadBalancer({ socket: haproxyFiles(ctx.spec.lab.dir).socket }).readBack().catch(() => undefined);
    const policy = policyJobStatus(ctx.spec, 0);
    const healthy =
      hosts.every((h) => h.exists && h.addressUp) && list.every((v) => v.running) && ceph?.health === 'HEALTH_OK' && lbServers !== undefined;
    if (values.json) {
      out(
        JSON.stringify(
          {
            healthy,
            hosts,
            qemu: runtime,
            qemuProblem: problem,
            vms: list,
            ceph: ceph ?? null,
            haproxy: lbServers ?? null,
            policyJob: { pid: policy.pid ?? null, mode: policy.mode },
          },
          null,
          2,
        ),
      );
      return healthy ? 0 : 1;
    }
    for (const h of hosts) {
      out(
        `host ${h.host.name.padEnd(10)} ${h.host.netns.padEnd(16)} ${h.host.ip.padEnd(15)} ${h.exists ? (h.addressUp ? 'up' : 'no address') : 'absent'}${h.shapedBitsPerS ? `  link ${h.shapedBitsPerS / 1e6} Mbit/s` : ''}`,
      );
    }
    out(
      `qemu ${runtime.version} accel ${runtime.accel}${runtime.ramPadKib ? ` (RAM padded by ${runtime.ramPadKib} KiB)` : ''}${problem ? '  WARNING: see `testbed lab status --json`' : ''}`,
    );
    for (const v of list)
      out(
        `vm ${v.name.padEnd(14)} ${v.host.padEnd(10)} ${v.address.padEnd(18)} ${v.running ? 'running' : 'NOT RUNNING'} PID ${v.pid}  disk ${v.disk.kind === 'rbd' ? `rbd:${v.disk.pool}/${v.disk.image}` : v.disk.path}`,
      );
    if (ceph) {
      out(`ceph ${ceph.health} (${ceph.osdsUp}/${ceph.osds} OSDs up)`);
      for (const p of ceph.pools) out(`pool ${p.name.padEnd(12)} ${p.rule.padEnd(16)} size ${p.size} pg_num ${p.pg_num}`);
    } else out('ceph: not reachable');
    out(
      lbServers
        ? `haproxy: ${lbServers.map((s) => `${s.backend}/${s.server} ${s.address} weight ${s.weight} ${s.admin}${s.up ? '' : ' DOWN'}`).join(', ') || 'no servers'}`
        : 'haproxy: not running',
    );
    out(`policy job: ${policy.pid ? `running (PID ${policy.pid}, ${policy.mode})` : 'not running'}`);
    out(healthy ? 'lab: healthy' : 'lab: NOT healthy');
    return healthy ? 0 : 1;
  },
};

interface CephHealth {
  readonly health: string;
  readonly osds: number;
  readonly osdsUp: number;
  readonly pools: ReadonlyArray<{ name: string; rule: string; size: number; pg_num: number }>;
}

/** Ceph's health, OSDs and pools as the lab's controller namespace sees them; undefined when unreachable. */
async function cephHealth(spec: TestbedSpec): Promise<CephHealth | undefined> {
  const ns = planLabTopology(spec).controller.netns;
  const conf = cephConfPath(spec);
  if (!existsSync(conf) || !netnsExists(ns)) return undefined;
  const ceph = async (...args: string[]) =>
    JSON.parse(
      (
        await execaRunner('ip', ['netns', 'exec', ns, 'ceph', '--conf', conf, '--connect-timeout', '10', ...args, '--format', 'json'], {
          timeoutMs: 20_000,
        })
      ).stdout,
    );
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

export const labCommands: readonly Command[] = [labGuestCommand, labVmCommand, labStatusCommand];
