import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testbedSpecSchema } from '../../src/config/schema.js';
import { buildMatrix } from '../../src/experiments/matrix.js';
import { RunStore, readRun } from '../../src/experiments/results-store.js';
import { RunInterruptedError, nextHost, runExperiment } from '../../src/experiments/runner.js';
import { FakeExecutor } from './fake-executor.js';

const FIO_JSON = readFileSync(new URL('../fixtures/results-small/raw/fio-bluestore-randwrite-r1.json', import.meta.url), 'utf8');
const spec = testbedSpecSchema.parse({ experiments: { repetitions: 2, flavors: ['small', 'medium'], fio: { repeats: 3 } } });
const META = {
  target: 'fake',
  created_at: '2026-01-01T00:00:00.000Z',
  matrix: {
    pools: ['filestore', 'bluestore'],
    flavors: ['small', 'medium'],
    loads: ['none', 'memory'] as const,
    reps: 2,
    fio_repeats: 3,
    fio_jobs: ['randwrite', 'randread'] as const,
  },
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'runs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the experiment runner', () => {
  it('runs every cell, alternating hosts, and records migrations, fio and conditions', async () => {
    // GIVEN 2 pools × 2 flavors × 2 loads × 2 reps, plus 2 fio jobs × 3 repeats per pool
    const matrix = buildMatrix(spec);
    const ex = new FakeExecutor({ fioJson: FIO_JSON });
    const store = RunStore.create(root, { run_id: 'r1', ...META });
    const lines: string[] = [];
    // WHEN the run goes through
    const s = await runExperiment({ executor: ex, store, matrix, linkMbit: 1000, progress: (l) => lines.push(l) });
    // THEN 16 migrations and 12 fio jobs are stored, and the run is complete
    expect(s).toMatchObject({ migrationsRecorded: 16, migrationsFailed: 0, fioRecorded: 12, skippedAlreadyRecorded: 0 });
    const { results, conditions } = readRun(join(root, 'r1'));
    expect(results.meta.complete).toBe(true);
    expect(results.migrations).toHaveLength(16);
    expect(results.fio).toHaveLength(12);
    expect(conditions?.accel).toBe('tcg');
    // and each VM goes there and back
    expect(ex.calls.filter((c) => c.startsWith('migrate filestore-small-none'))).toEqual([
      'migrate filestore-small-none-r1 compute-1->compute-2',
      'migrate filestore-small-none-r2 compute-2->compute-1',
    ]);
    expect(ex.calls).toContain('destroy vm-filestore-small-none on compute-1');
    // and each pool's fio image is filled once, before its first job
    expect(ex.calls.filter((c) => c.startsWith('prefill'))).toEqual(['prefill filestore', 'prefill bluestore']);
    expect(ex.calls.indexOf('prefill bluestore')).toBeLessThan(ex.calls.indexOf('fio bluestore-randwrite-r1'));
    // and the CSVs hold one line per row plus the header
    expect(
      readFileSync(join(root, 'r1', 'migrations.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(17);
    expect(
      readFileSync(join(root, 'r1', 'fio.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(13);
    // and every row says what the guest checked and which downtime steps were applied, in the JSON and the CSV
    expect(results.migrations[0]).toMatchObject({ verified_pages: 16384, verified_blocks: 256, verify_ms: 120 });
    expect(results.migrations[0]!.nova_schedule).toEqual([{ at_ms: 0, action: 'downtime-limit', value: 50 }]);
    const [head, first] = readFileSync(join(root, 'r1', 'migrations.csv'), 'utf8').split('\n');
    const cell = (name: string) => first!.split(',')[head!.split(',').indexOf(name)];
    expect([cell('pattern_verified'), cell('verified_pages'), cell('verified_blocks'), cell('verify_ms'), cell('nova_schedule')]).toEqual([
      'true',
      '16384',
      '256',
      '120',
      '0s:50ms',
    ]);
    // and progress names the cell, the ETA and the last result
    expect(
      lines.some((l) =>
        /^\[cell 1\/12 filestore × small × load none · step 2\/\d+\] ETA \S+ · last: filestore-small-none-r1 compute-1→compute-2 completed/.test(l),
      ),
    ).toBe(true);
  });

  it('records a migration that failed with its reason and keeps the VM where it was', async () => {
    const matrix = buildMatrix(spec, { pools: ['bluestore'], flavors: ['small'], loads: ['memory'], reps: 3, noFio: true });
    const ex = new FakeExecutor({ fioJson: FIO_JSON, failMigrations: ['bluestore-small-memory-r2'] });
    const store = RunStore.create(root, { run_id: 'r2', ...META });
    const s = await runExperiment({ executor: ex, store, matrix, linkMbit: 1000 });
    expect(s.migrationsFailed).toBe(1);
    const rows = readRun(join(root, 'r2')).results.migrations;
    expect(rows.map((r) => r.status)).toEqual(['completed', 'failed', 'completed']);
    expect(rows[1]).toMatchObject({
      reason: 'migration did not converge in 40 s',
      source: 'compute-2',
      target: 'compute-1',
      link_mbit: 1000,
      pattern_verified: false,
      verified_pages: 0,
      verified_blocks: 0,
      nova_schedule: [],
    });
    expect(rows[1]!.total_ms).toBeNaN();
    // The failed try left the VM on compute-2, so rep 3 starts there too.
    expect(ex.calls).toContain('migrate bluestore-small-memory-r3 compute-2->compute-1');
  });

  it('fails on an interruption mid-run, keeps what was recorded, and a resume runs only the missing steps', async () => {
    // GIVEN a run whose third VM boot crashes
    const matrix = buildMatrix(spec);
    const first = new FakeExecutor({ fioJson: FIO_JSON, crashOnBoot: 3 });
    const store = RunStore.create(root, { run_id: 'r3', ...META });
    // WHEN it runs
    const run = runExperiment({ executor: first, store, matrix, linkMbit: 1000 });
    // THEN it stops with a resumable error, and the first two cells are on disk
    await expect(run).rejects.toThrow(RunInterruptedError);
    await expect(run).rejects.toThrow(
      'run r3 stopped: simulated crash: QEMU did not start. What was recorded is kept; continue with: testbed experiment run --resume r3',
    );
    const partial = readRun(join(root, 'r3')).results;
    expect(partial.meta).toMatchObject({ complete: false, interrupted: 'simulated crash: QEMU did not start' });
    expect(partial.migrations.map((m) => `${m.pool}-${m.flavor}-${m.load}-r${m.rep}`)).toEqual([
      'filestore-small-none-r1',
      'filestore-small-none-r2',
      'filestore-small-memory-r1',
      'filestore-small-memory-r2',
    ]);

    // WHEN the run is resumed with a new executor
    const second = new FakeExecutor({ fioJson: FIO_JSON });
    const lines: string[] = [];
    const s = await runExperiment({ executor: second, store: RunStore.open(root, 'r3'), matrix, linkMbit: 1000, progress: (l) => lines.push(l) });
    // THEN only the missing cells run, nothing is recorded twice, and the run is complete
    expect(second.calls.filter((c) => c.startsWith('boot'))).toHaveLength(6);
    expect(second.calls).not.toContain('boot filestore-small-none');
    expect(second.calls).not.toContain('boot filestore-small-memory');
    expect(s.skippedAlreadyRecorded).toBe(4);
    expect(lines[0]).toBe('resume r3: 4 step(s) already recorded are skipped, 30 to run');
    const all = readRun(join(root, 'r3')).results;
    const keys = all.migrations.map((m) => `${m.pool}-${m.flavor}-${m.load}-r${m.rep}`);
    expect(new Set(keys).size).toBe(16);
    expect(all.fio).toHaveLength(12);
    expect(all.meta.complete).toBe(true);
    expect(all.meta.interrupted).toBeUndefined();
  });

  it('resumes inside a cell: only the missing reps of a partly recorded cell run', async () => {
    const matrix = buildMatrix(spec, { pools: ['filestore'], flavors: ['small'], loads: ['none'], reps: 3, noFio: true });
    const ctl = new AbortController();
    const ex = new FakeExecutor({ fioJson: FIO_JSON });
    const store = RunStore.create(root, { run_id: 'r4', ...META });
    const migrate = ex.migrate.bind(ex);
    ex.migrate = async (vm, source, r) => {
      const rec = await migrate(vm, source, r);
      if (r.rep === 1) ctl.abort('SIGINT');
      return rec;
    };
    await expect(runExperiment({ executor: ex, store, matrix, linkMbit: 1000, signal: ctl.signal })).rejects.toThrow(/interrupted \(SIGINT\)/);
    expect(ex.calls.at(-1)).toBe('destroy vm-filestore-small-none on compute-2');
    const again = new FakeExecutor({ fioJson: FIO_JSON });
    await runExperiment({ executor: again, store: RunStore.open(root, 'r4'), matrix, linkMbit: 1000 });
    expect(again.calls.filter((c) => c.startsWith('migrate'))).toEqual([
      'migrate filestore-small-none-r2 compute-1->compute-2',
      'migrate filestore-small-none-r3 compute-2->compute-1',
    ]);
  });

  it('fails when a run id already exists, naming the resume option', () => {
    RunStore.create(root, { run_id: 'r5', ...META });
    expect(() => RunStore.create(root, { run_id: 'r5', ...META })).toThrow(/a run with this id already exists; resume it with --resume r5/);
  });

  it('alternates cyclically between hosts', () => {
    expect(nextHost(['a', 'b', 'c'], 'c')).toBe('a');
    expect(nextHost(['a', 'b'], 'a')).toBe('b');
  });
});
