import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function testbed(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/testbed.mjs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the testbed CLI', () => {
  it('lists its commands on help', () => {
    const r = testbed(['help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/validate .*\n.*synth /s);
  });

  it('validates the repository spec', () => {
    const r = testbed(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('testbed.yaml: valid (3 controllers, 2 compute hosts, 3 OSD nodes, pools filestore, bluestore)\n');
    expect(r.stderr).toMatch(/warning: testbed\.yaml: ceph\.pools\[0\]\.pg_num: 2048 PG replicas per filestore OSD/);
  });

  it('fails on a bad spec with exit code 2, every problem, and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'controllers: { count: 0 }\nceph: { monz: 3 }\n');
    const r = testbed(['validate', '--spec', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: controllers.count: out of range; got 0; allowed: a number > 0`);
    expect(r.stderr).toContain(`${file}: ceph.monz: unknown key; did you mean "mons"?`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails on an unknown command or option with exit code 2', () => {
    expect(testbed(['frobnicate']).code).toBe(2);
    const r = testbed(['validate', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--frob'[\s\S]*usage: testbed validate/);
  });
});
