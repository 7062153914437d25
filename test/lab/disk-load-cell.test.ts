/**
 * One `disk` cell for real: the lab's phases up to HAProxy (no standing VMs, no policy job), one
 * migration of a small Bluestore VM whose guest writes 4 KiB random blocks to its RBD disk, the
 * row's I/O and switchover fields, its verification, the report's table, and the lab taken down.
 * Root only (namespaces, tc, Ceph). It runs as its own testbed (tb-disk, its own lab.dir), and
 * skips when another lab is up, since lab namespaces have fixed names. Run it under the lab lock.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWhere, missing } from '../support/requirements.js';

const labUp =
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout?.split('\n')
    .some((l) => l.startsWith('tb-')) ?? false;
const skip =
  missing({
    root: 'network namespaces, tc, Ceph daemons',
    binaries: ['ip', 'tc', 'qemu-system-x86_64', 'gcc', 'haproxy', 'ceph', 'ansible-playbook'],
  }) ?? (labUp ? 'a lab is already up on this machine (tb-* namespaces); run `npx cdktf destroy lab --auto-approve` first' : undefined);

const LAB_DIR = '/var/tmp/tb-disk-lab';
/** The phases this test needs, in deploy order: no standing VMs and no policy job. */
const PHASES = ['preflight', 'hosts', 'ceph', 'guest', 'haproxy'] as const;

describeWhere(skip, 'one disk cell in the lab (4 KiB random writes during the migration, measured and verified)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-disk-'));
  const specFile = join(dir, 'disk.yaml');
  const env = { ...process.env, TESTBED_SPEC: specFile, CHECKPOINT_DISABLE: '1' };
  const testbed = (args: string[], timeoutMs = 600_000) => {
    const r = spawnSync(process.execPath, ['bin/testbed.mjs', ...args], { encoding: 'utf8', env, timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const timings: Record<string, number> = {};
  const timed = <T>(what: string, f: () => T): T => {
    const t0 = Date.now();
    try {
      return f();
    } finally {
      timings[what] = (Date.now() - t0) / 1000;
    }
  };

  beforeAll(() => {
    writeFileSync(specFile, ['name: tb-disk', 'lab:', `  dir: ${LAB_DIR}`, 'experiments:', '  disk_load: { window_s: 2 }'].join('\n') + '\n');
    for (const phase of PHASES) {
      const r = timed(`${phase} up`, () => testbed(['lab', phase, 'up']));
      if (r.code !== 0) throw new Error(`testbed lab ${phase} up: exit ${r.code}\n${r.stderr.slice(-3000)}`);
    }
  }, 900_000);

  afterAll(() => {
    // Whatever happened, leave nothing running: the phases down in reverse order.
    for (const phase of [...PHASES].reverse()) timed(`${phase} down`, () => testbed(['lab', phase, 'down']));
    console.log(`disk cell test timings (s): ${JSON.stringify(timings)}`);
  }, 600_000);

  it("records the guest's write IOPS and latency before, during and after, the switchover's block I/O, and verifies every block written", () => {
    // WHEN one disk cell runs: a small VM on Bluestore, 1 repetition, no fio
    const r = timed('cell', () =>
      testbed([
        'experiment',
        'run',
        '--target',
        'lab',
        '--pools',
        'bluestore',
        '--flavors',
        'small',
        '--load',
        'disk',
        '--reps',
        '1',
        '--no-fio',
        '--out',
        join(dir, 'results'),
      ]),
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const runDir = /^results: (.+)$/m.exec(r.stdout)![1]!.trim();
    const m = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')).migrations;
    expect(m).toHaveLength(1);
    const row = m[0];
    console.log(`disk cell row: ${JSON.stringify({ ...row, nova_schedule: undefined })}`);

    // THEN it completed, and the guest verified its memory pattern, its ring and every block its load wrote
    expect(row).toMatchObject({
      status: 'completed',
      load: 'disk',
      pool: 'bluestore',
      flavor: 'small',
      pattern_verified: true,
      verified_blocks: 256,
    });
    expect(row.verified_load_blocks).toBeGreaterThan(0);
    // AND the writes were measured in all three phases: 4 KiB writes, so MiB/s = IOPS ÷ 256, and real latencies
    expect(row.disk_io).toMatchObject({ mode: 'direct', queue_depth: 4, target_iops: 200, errors: 0 });
    for (const phase of ['before', 'during', 'after'] as const) {
      const p = row.disk_io[phase];
      expect(p.seconds, phase).toBeGreaterThan(0.5);
      expect(p.writes, phase).toBeGreaterThan(0);
      expect(p.iops, phase).toBeGreaterThan(0);
      expect(p.iops, phase).toBeLessThanOrEqual(200 * 1.1);
      expect(p.mib_s, phase).toBeCloseTo(p.iops / 256, 2);
      expect(p.lat_mean_ms, phase).toBeGreaterThan(0);
      expect(p.lat_p99_ms, phase).toBeGreaterThanOrEqual(p.lat_mean_ms * 0.5);
      expect(p.lat_max_ms, phase).toBeGreaterThanOrEqual(p.lat_p99_ms);
    }
    // AND the check read back written blocks of the 16 MiB region only (the load writes from boot on, so more than the three phases counted)
    expect(row.verified_load_blocks).toBeLessThanOrEqual(16 * 256);
    // AND the switchover's block side was measured from the trace events: a count, and drain + flush inside the downtime
    const sw = row.switchover;
    expect(sw.not_measured).toBeUndefined();
    expect(sw.traced_requests).toBeGreaterThan(0);
    expect(sw.inflight_at_stop).toBeGreaterThanOrEqual(0);
    expect(sw.inflight_at_stop).toBeLessThanOrEqual(4 + 1);
    expect(sw.drain_flush_ms).toBeGreaterThanOrEqual(0);
    expect(sw.drain_flush_ms + sw.inactivate_ms).toBeLessThan(row.downtime_real_ms);
    expect(sw.drain_share).toBeCloseTo((sw.drain_flush_ms + sw.inactivate_ms) / row.downtime_real_ms, 5);

    // AND QEMU measured the dirty rate just before the migration (page sampling under TCG), beside the guest's report (no memory load: about 0)
    // (QEMU reports the sampling's own measured length: 1000 ms asked, 1001 ms seen once)
    expect(row).toMatchObject({ dirty_rate_calc_mode: 'page-sampling' });
    expect(row.dirty_rate_calc_ms).toBeGreaterThanOrEqual(1000);
    expect(row.dirty_rate_calc_ms).toBeLessThan(1100);
    expect(row.dirty_rate_calc_mib_s).toBeGreaterThanOrEqual(0);
    expect(row.dirty_rate_guest_before_mib_s).toBe(0);

    // AND the CSV carries the same figures, and the report shows them in its disk I/O table
    const csv = readFileSync(join(runDir, 'migrations.csv'), 'utf8').trim().split('\n');
    const cols = csv[0]!.split(',');
    const cells = csv[1]!.split(',');
    expect(Number(cells[cols.indexOf('io_during_iops')])).toBe(row.disk_io.during.iops);
    expect(Number(cells[cols.indexOf('blk_drain_flush_ms')])).toBe(sw.drain_flush_ms);
    const report = testbed(['report', runDir, '--no-png']);
    expect(report.code, report.stderr).toBe(0);
    const md = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(md).toContain('Disk I/O during the migration and the block side of the switchover');
    expect(md).toMatch(/\| small \| disk \| bluestore \| \d+ \/ \d+ \/ \d+ \|/);
    expect(md).toContain("Dirty rate: QEMU's calc-dirty-rate beside the guest's own report");
  }, 900_000);
});
