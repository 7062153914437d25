/**
 * The lab's VMs: boot, stop, list, each VM's state in `<lab.dir>/vms/<name>/vm.json`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaRunner, type Runner } from '../exec/index.js';
import { ipAt, type LabHost, type LabTopology } from '../config/index.js';
import {
  DEFAULT_VERIFY_DISK_BLOCKS,
  DEFAULT_VERIFY_MEMORY_PCT,
  isVmProcess,
  runFiles,
  SerialConsole,
  startQemu,
  stopQemu,
  verifyMibFor,
  vmMac,
  type DiskSource,
  type GuestLoad,
  type QemuRuntime,
  type VmDefinition,
  type VmPlacement,
} from './qemu.js';

export interface LabVmsProps {
  readonly labDir: string;
  readonly topology: LabTopology;
  readonly cidr: string;
  readonly runtime: QemuRuntime;
  readonly image: { kernel: string; initrd: string };
  /** @default execaRunner */
  readonly runner?: Runner;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

export interface BootRequestProps {
  readonly name: string;
  readonly host: string;
  readonly flavor: string;
  readonly ramMib: number;
  readonly disk: DiskSource;
  /** @default no memory load, 20 disk writes/s */
  readonly load?: GuestLoad;
  /** @default 1 */
  readonly vcpus?: number;
  /** @default the lowest free index */
  readonly index?: number;
}

/** The load with the verification's defaults filled in: the pattern covers a share of RAM and at least the working set. */
export function withVerifyDefaults(load: GuestLoad, ramMib: number): GuestLoad {
  return {
    ...load,
    verifyMib: Math.max(load.verifyMib ?? verifyMibFor(ramMib, DEFAULT_VERIFY_MEMORY_PCT), load.wsMib),
    diskBlocks: load.diskBlocks ?? DEFAULT_VERIFY_DISK_BLOCKS,
  };
}

export class LabVms {
  readonly labDir: string;
  readonly topology: LabTopology;
  readonly runtime: QemuRuntime;
  readonly image: { kernel: string; initrd: string };
  private readonly cidr: string;
  private readonly run: Runner;
  private readonly log: (line: string) => void;

  constructor(props: LabVmsProps) {
    this.labDir = props.labDir;
    this.topology = props.topology;
    this.cidr = props.cidr;
    this.runtime = props.runtime;
    this.image = props.image;
    this.run = props.runner ?? execaRunner;
    this.log = props.log ?? (() => {});
  }

  host(name: string): LabHost {
    const h = this.topology.computes.find((c) => c.name === name);
    if (!h) throw new Error(`lab: no compute host "${name}"; the hosts are ${this.topology.computes.map((c) => c.name).join(', ')}`);
    return h;
  }

  list(): VmPlacement[] {
    const dir = join(this.labDir, 'vms');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => existsSync(join(dir, n, 'vm.json')))
      .map((n) => JSON.parse(readFileSync(join(dir, n, 'vm.json'), 'utf8')) as VmPlacement)
      .sort((a, b) => a.index - b.index);
  }

  get(name: string): VmPlacement {
    const f = join(this.labDir, 'vms', name, 'vm.json');
    if (!existsSync(f))
      throw new Error(
        `lab: no VM "${name}"; the VMs are ${
          this.list()
            .map((v) => v.name)
            .join(', ') || 'none'
        }`,
      );
    return JSON.parse(readFileSync(f, 'utf8')) as VmPlacement;
  }

  running(vm: VmPlacement): boolean {
    return isVmProcess(vm.pid, runFiles(this.labDir, vm.name, vm.host).qmp);
  }

  save(vm: VmPlacement): void {
    const dir = join(this.labDir, 'vms', vm.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vm.json'), `${JSON.stringify(vm, null, 2)}\n`);
  }

  console(vm: Pick<VmPlacement, 'name' | 'host'>): SerialConsole {
    const f = runFiles(this.labDir, vm.name, vm.host);
    return new SerialConsole(f.serial, f.console);
  }

  definition(req: BootRequestProps): VmDefinition {
    const used = new Set(this.list().map((v) => v.index));
    const index = req.index ?? [...Array(150).keys()].find((i) => !used.has(i))!;
    return {
      name: req.name,
      index,
      flavor: req.flavor,
      ramMib: req.ramMib,
      vcpus: req.vcpus ?? 1,
      disk: req.disk,
      load: withVerifyDefaults(req.load ?? { wsMib: 0, rateMibS: 0, diskOpsS: 20 }, req.ramMib),
      address: `${ipAt(this.cidr, this.topology.firstVmOffset + index)}/${this.topology.prefixLength}`,
      mac: vmMac(index),
    };
  }

  /** Boots a VM and waits until its guest reports READY on the serial console. */
  async boot(req: BootRequestProps, readyTimeoutMs = 180_000): Promise<VmPlacement> {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(req.name)) throw new Error(`lab: VM name "${req.name}" must be 1-31 lowercase letters, digits or dashes`);
    if (existsSync(join(this.labDir, 'vms', req.name, 'vm.json'))) {
      const existing = this.get(req.name);
      if (this.running(existing)) throw new Error(`lab: VM "${req.name}" already runs on ${existing.host} (PID ${existing.pid})`);
    }
    const host = this.host(req.host);
    const def = this.definition(req);
    const t0 = Date.now();
    this.log(`vm ${def.name}: booting on ${host.name} (${def.ramMib} MiB, ${this.runtime.accel}, ${def.address})`);
    const pid = await startQemu({
      labDir: this.labDir,
      topology: this.topology,
      host,
      vm: def,
      runtime: this.runtime,
      image: this.image,
      runner: this.run,
    });
    const vm: VmPlacement = {
      ...def,
      host: host.name,
      netns: host.netns,
      pid,
      accel: this.runtime.accel,
      qemuVersion: this.runtime.version,
      kernel: this.image.kernel,
      initrd: this.image.initrd,
      startedAt: Date.now(),
    };
    this.save(vm);
    const serial = this.console(vm);
    await serial.waitFor(new RegExp(`READY-${def.name} `), 0, readyTimeoutMs);
    // The guest's checker has written its memory pattern and disk ring once it says `DIRTIER start`.
    const started = await serial.waitFor(/DIRTIER (start|error)[^\r\n]*/, 0, readyTimeoutMs);
    if (started[1] === 'error') this.log(`vm ${def.name}: ${started[0]}`);
    this.log(`vm ${def.name}: ready in ${Date.now() - t0} ms (PID ${pid})`);
    return vm;
  }

  /** Stops a VM's QEMU (by PID) and removes its state. */
  async stop(name: string): Promise<void> {
    const vm = this.get(name);
    await stopQemu(this.labDir, vm.name, this.host(vm.host), vm.index, vm.pid, this.run);
    rmSync(join(this.labDir, 'vms', name), { recursive: true, force: true });
    this.log(`vm ${name}: stopped`);
  }

  async stopAll(): Promise<void> {
    for (const vm of this.list()) await this.stop(vm.name);
  }
}
