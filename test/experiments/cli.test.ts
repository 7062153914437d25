import { spawnSync } from 'node:child_process';
import { writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function testbed(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/testbed.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the experiment and report commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the report of a stored run and says where it is', () => {
    const r = testbed(['report', 'test/fixtures/results-small', '--out', dir, '--no-png']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`report: ${dir}/report.html\n        ${dir}/report.md\nfigures: 5 SVG (no PNG: rsvg-convert missing or --no-png)\n`);
    expect(existsSync(join(dir, 'figures', 'fig-8-migration-time.svg'))).toBe(true);
  });

  it('fails on a report without runs or with a folder that is not a run, with exit code 2 and no stack trace', () => {
    expect(testbed(['report']).code).toBe(2);
    const r = testbed(['report', join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'nope')}/results.json: not found`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails on a bad matrix option, naming the value and what is allowed', () => {
    const r = testbed(['experiment', 'run', '--flavors', 'small,tiny', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--flavors: unknown "tiny"; allowed: small, medium, large, xlarge');
  });

  it('fails clearly when the lab is not up, and leaves no run folder and no lab behind', () => {
    // GIVEN a spec whose lab folder does not exist (the lab was never deployed)
    const out = join(dir, 'results');
    const labDir = join(dir, 'no-lab');
    const spec = join(dir, 'no-lab.yaml');
    writeFileSync(spec, `lab:\n  dir: ${labDir}\n`);
    // WHEN an experiment is run against it
    const r = testbed(['experiment', 'run', '--target', 'lab', '--reps', '1', '--out', out, '--spec', spec]);
    // THEN it says what to do, and nothing was created
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the lab is not up \(.*\): run `npx cdktf deploy lab --auto-approve` first/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(labDir)).toBe(false);
  });

  it('probes a URL for a given time and prints the result as JSON', () => {
    const r = testbed(['experiment', 'probe', '--url', 'tcp://127.0.0.1:9', '--duration-ms', '100']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout)['tcp://127.0.0.1:9'];
    expect(res).toMatchObject({ ok: 0, interval_ms: 10, longest_gap_ms: null });
    expect(res.sent).toBeGreaterThan(3);
  });
});
