import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { planLabTopology } from '../../src/config/lab-topology.js';
import { testbedSpecSchema } from '../../src/config/schema.js';
import { listNetns, netnsExec } from '../../src/exec/iproute2.js';
import { buildGuestImage } from '../../src/lab/guest-image.js';
import { migrateVm } from '../../src/lab/migrate.js';
import type { MigrationRecord } from '../../src/lab/migration-record.js';
import { LabNetwork, withPrefix } from '../../src/lab/netns.js';
import { detectQemu, isAlive, verifyGuest } from '../../src/lab/qemu.js';
import { LabVms } from '../../src/lab/vms.js';
import { describeWhere, missingFor } from '../support/requirements.js';

const skip = missingFor(['ip', 'tc', 'qemu-system-x86_64', 'gcc', 'apt-get', 'dpkg', 'busybox']);

// Its own namespaces, range and folder, so it runs beside a real lab. The guest image cache is kept.
const LAB_DIR = '/var/tmp/sds-testbed-lab-test';
const spec = testbedSpecSchema.parse({ lab: { cidr: '10.213.92.0/24', dir: LAB_DIR }, live_migration: { downtime_ms: 300 } });
const topology = withPrefix(planLabTopology(spec), 'tbm');
const linkMbit = spec.network.migration_bandwidth_mbit;

describeWhere(skip, 'live migration in the lab', () => {
  const net = new LabNetwork({ topology, linkMbit });
  let vms: LabVms;
  const pids: number[] = [];
  const records: MigrationRecord[] = [];

  beforeAll(async () => {
    rmSync(`${LAB_DIR}/vms`, { recursive: true, force: true });
    mkdirSync(`${LAB_DIR}/disks`, { recursive: true });
    execFileSync('truncate', ['-s', '64M', `${LAB_DIR}/disks/vm-test.raw`]);
    await net.up();
    const image = await buildGuestImage({ labDir: LAB_DIR });
    // KVM guests do not boot on this sandbox's nested KVM (they hang after decompression), so the test pins TCG.
    const runtime = await detectQemu(process.env.TESTBED_LAB_ACCEL === 'kvm' ? 'kvm' : 'tcg');
    vms = new LabVms({ labDir: LAB_DIR, topology, cidr: spec.lab.cidr, runtime, image });
  });

  afterAll(async () => {
    await vms?.stopAll().catch(() => {});
    await net.down().catch(() => {});
    rmSync(`${LAB_DIR}/disks`, { recursive: true, force: true });
  });

  it("migrates a writing 256 MiB VM there and back with nothing lost and real downtime above QEMU's", async () => {
    // GIVEN a small VM on compute-1 whose disk is a raw file both hosts open, dirtying 64 MiB at 32 MiB/s
    const vm = await vms.boot({
      name: 'vm-test',
      host: 'compute-1',
      flavor: 'small',
      ramMib: 256,
      disk: { kind: 'file', path: `${LAB_DIR}/disks/vm-test.raw` },
      load: { wsMib: 64, rateMibS: 32, diskOpsS: 20 },
    });
    pids.push(vm.pid);
    expect((await verifyGuest(vms.console(vm))).ok).toBe(true);

    // WHEN it migrates to compute-2 and back
    for (const target of ['compute-2', 'compute-1']) {
      records.push(await migrateVm({ vms, name: 'vm-test', target, settings: spec.live_migration, linkMbit, load: 'memory' }));
      pids.push(vms.get('vm-test').pid);
    }

    // THEN both completed, the guest verified every page and every acknowledged disk block after each
    expect(records.map((r) => [r.source, r.target, r.status, r.reason, r.pattern_verified])).toEqual([
      ['compute-1', 'compute-2', 'completed', undefined, true],
      ['compute-2', 'compute-1', 'completed', undefined, true],
    ]);
    for (const r of records) {
      // AND the client-visible downtime (dst RESUME - src STOP) is at least what QEMU reports
      expect(r.downtime_real_ms).toBeGreaterThanOrEqual(r.downtime_ms);
      // AND at least the dirtied working set crossed the link
      expect(r.transferred_bytes).toBeGreaterThan(64 * 1048576);
      expect(r.iterations).toBeGreaterThanOrEqual(2);
      expect(r.dirty_rate_guest_mib_s).toBeGreaterThan(0);
      expect(r.link_mbit).toBe(linkMbit);
    }
    // AND the VM answers HTTP at its address from the other host after coming back
    const page = await netnsExec('tbm-compute-2', 'busybox', ['wget', '-q', '-O', '-', 'http://10.213.92.100/']);
    expect(page.stdout).toContain('vm-test');
  }, 240_000);

  it('leaves no QEMU process, namespace or VM state behind', async () => {
    // WHEN the VMs and hosts are removed
    await vms.stopAll();
    await net.down();
    // THEN every QEMU this test started is gone, and so are its namespaces and VM folders
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await listNetns()).filter((n) => n.startsWith('tbm-'))).toEqual([]);
    expect(existsSync(`${LAB_DIR}/vms/vm-test`)).toBe(false);
  });
});
