/** `testbed policy calibrate` and the pre-copy model of `testbed policy simulate` and `testbed policy compare`. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { DEFAULT_CALIBRATION_FILE } from '../../src/policy/precopy-calibration.js';

const STACK_LINE = /^ {4}at /m;

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('testbed policy calibrate, simulate --precopy and compare --precopy', () => {
  let dir: string;
  let trace: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'precopy-cli-'));
    // Four VMs over 12 steps: two busy, two nearly idle, so that the policy migrates some.
    trace = join(dir, 'trace.csv');
    const lines = ['vm,step,cpu_pct'];
    for (let step = 0; step < 12; step++)
      for (const [vm, cpu] of [
        ['a', 90],
        ['b', 85],
        ['c', 3],
        ['d', 2],
      ] as const)
        lines.push(`${vm},${step},${cpu}`);
    writeFileSync(trace, lines.join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('calibrate fits the fixture, prints the held-out errors per load and writes the committed default', async () => {
    const f = join(dir, 'calibration.json');
    const r = await cli(['policy', 'calibrate', '--results', 'test/fixtures/results-small', '--out', f]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^pre-copy calibration: 24 migrations of 2026-12-01T22-31-36Z-7908 \(0 skipped\)/);
    expect(r.out).toMatch(/held out: leave-one-out, 24 folds/);
    expect(r.out).toMatch(/^memory +12 /m);
    expect(r.out).toMatch(/^none +12 /m);
    expect(r.out).toMatch(/^textbook +24 /m);
    expect(readFileSync(f, 'utf8')).toBe(readFileSync(DEFAULT_CALIBRATION_FILE, 'utf8'));
  });

  it('fails calibrate with exit 2 and no stack trace for a folder that is not a run', async () => {
    const r = await cli(['policy', 'calibrate', '--results', join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\/results\.json: not found; expected a run folder made by `testbed experiment run`/);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('fails calibrate with exit 2 when no migration of the run is usable', async () => {
    // GIVEN a run whose every migration failed
    const run = join(dir, 'failed-run');
    mkdirSync(run);
    const doc = JSON.parse(readFileSync('test/fixtures/results-small/results.json', 'utf8'));
    doc.migrations = doc.migrations.map((m: object) => ({ ...m, status: 'failed' }));
    writeFileSync(join(run, 'results.json'), JSON.stringify(doc));
    // WHEN it is calibrated
    const r = await cli(['policy', 'calibrate', '--results', run]);
    // THEN it says so, with an example of why
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/failed-run: no usable migrations \(24 rows, 24 skipped, e\.g\. filestore-small-none-r1: status failed\)/);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('fails calibrate with exit 2 without --results', async () => {
    const r = await cli(['policy', 'calibrate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--results: missing; allowed: a run folder/);
  });

  it('simulate uses the fitted model by default and prints it with its calibration error', async () => {
    const r = await cli(['policy', 'simulate', '--trace', trace, '--hosts', '4']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^pre-copy model: fitted \(src\/policy\/precopy-calibration\.json: 24 migrations of 2026-12-01T22-31-36Z-7908\); held-out error \(leave-one-out\) median\/max: time [\d.]+ %\/[\d.]+ %, bytes [\d.]+ %\/[\d.]+ %$/m,
    );
  });

  it('simulate --precopy textbook uses the textbook model and says so; the times differ', async () => {
    const textbook = await cli(['policy', 'simulate', '--trace', trace, '--hosts', '4', '--precopy', 'textbook', '--json']);
    const fitted = await cli(['policy', 'simulate', '--trace', trace, '--hosts', '4', '--precopy', DEFAULT_CALIBRATION_FILE, '--json']);
    const t = JSON.parse(textbook.out);
    const f = JSON.parse(fitted.out);
    expect(t.precopy.model).toBe('textbook');
    expect(f.precopy.model).toBe('fitted');
    expect(f.precopy.held_out.timeMs.median).toBeGreaterThan(0);
    expect(t.migrations).toBeGreaterThan(0);
    expect(f.totalMigrationS).not.toBeCloseTo(t.totalMigrationS, 3);
  });

  it('fails simulate with exit 2 for --dirty-ratio under --accounting cloudsim, where it has no meaning', async () => {
    // WHEN a dirty ratio is given to the accounting whose migration time is RAM / 62.5 s
    const r = await cli(['policy', 'simulate', '--trace', trace, '--accounting', 'cloudsim', '--dirty-ratio', '0.3']);
    // THEN it is refused, naming the option, the value and where it is allowed, rather than silently ignored
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--dirty-ratio: got "0\.3" with --accounting cloudsim; allowed: only with --accounting testbed/);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('compare uses the fitted model by default for its testbed rows and says which settings and model it used', async () => {
    // GIVEN the four-VM trace, compared with one baseline
    const r = await cli(['policy', 'compare', '--trace', trace, '--baselines', 'iqr-mmt-1.5', '--svg', join(dir, 'compare.svg')]);
    // THEN the header names the replay settings (not the live job's) and the pre-copy model, before the table
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^settings: policy from testbed\.yaml \(low 25, high 70, hysteresis 5 points, cooldown 1800 s, max_migrations_per_cycle 4\); replayed with one decision per 300 s sample and no per-host limit \(replaySettings\(\)\), not sample_period_s 60 and live_migration\.max_concurrent 1$/m,
    );
    expect(r.out).toMatch(
      /^pre-copy model: fitted \(src\/policy\/precopy-calibration\.json: 24 migrations of 2026-12-01T22-31-36Z-7908\); held-out error .* \(the testbed rows; the cloudsim rows take RAM \/ 62\.5 s, as CloudSim\)$/m,
    );
    expect(r.out.indexOf('pre-copy model:')).toBeLessThan(r.out.search(/^policy +accounting/m));
  });

  it('compare --precopy textbook changes the testbed rows only, as simulate --precopy does', async () => {
    const base = ['policy', 'compare', '--trace', trace, '--baselines', 'iqr-mmt-1.5', '--svg', join(dir, 'compare.svg'), '--json'];
    // WHEN the same trace is compared under both models
    const t = JSON.parse((await cli([...base, '--precopy', 'textbook'])).out);
    const f = JSON.parse((await cli(base)).out);
    // THEN each says which it used
    expect(t.precopy.model).toBe('textbook');
    expect(f.precopy.model).toBe('fitted');
    type Row = { policy: string; accounting: string; pdm: number; migrations: number };
    const rows = (x: { rows: Row[] }, accounting: string) => x.rows.filter((r) => r.accounting === accounting);
    // AND the cloudsim rows (RAM / 62.5 s) are the same, while the testbed rows' migrations, which took longer
    // under the fitted model, cost more PDM: the rows were run with the model the header names
    expect(rows(f, 'cloudsim')).toEqual(rows(t, 'cloudsim').map((r) => ({ ...r, runtimeMs: expect.any(Number) })));
    const consolidate = (x: { rows: Row[] }) => rows(x, 'testbed').find((r) => r.policy === 'consolidate')!;
    expect(consolidate(t).migrations).toBeGreaterThan(0);
    expect(consolidate(f).pdm).toBeGreaterThan(consolidate(t).pdm);
  });

  it('fails compare with exit 2 for an unknown --precopy', async () => {
    const r = await cli(['policy', 'compare', '--trace', trace, '--precopy', 'exact']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--precopy: .*exact.*; allowed: textbook, fitted, or a calibration file/);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it('fails simulate with exit 2 for a --precopy file that is not there', async () => {
    const r = await cli(['policy', 'simulate', '--trace', trace, '--precopy', join(dir, 'none.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--precopy: .*none\.json: not found; expected a calibration file written by `testbed policy calibrate --out FILE`/);
  });
});
