import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { renderTestbed } from '../../src/render/render.js';
import { writeIfChanged } from '../../src/render/write-tree.js';
import { specOf } from './fixtures.js';

const REPO_SPEC = join(__dirname, '..', '..', 'testbed.yaml');

describe('writing the rendered tree', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'render-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file only when its content or mode changed', () => {
    const file = join(dir, 'a', 'b.conf');
    expect(writeIfChanged(file, 'x\n', 0o600)).toBe('created');
    const before = statSync(file).mtimeMs;
    expect(writeIfChanged(file, 'x\n', 0o600)).toBe('unchanged');
    expect(statSync(file).mtimeMs).toBe(before);
    chmodSync(file, 0o644);
    expect(writeIfChanged(file, 'x\n', 0o600)).toBe('updated');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(writeIfChanged(file, 'y\n', 0o600)).toBe('updated');
    expect(readFileSync(file, 'utf8')).toBe('y\n');
  });

  it('renders the same tree on a re-render: the secrets are stable and nothing changes', () => {
    // GIVEN a first render into a fresh folder
    const spec = specOf();
    const first = renderTestbed({ spec, root: dir, hostHasKvm: false });
    const secretsBefore = readFileSync(first.secretsFile, 'utf8');
    const confBefore = readFileSync(join(first.outDir, 'nova', 'compute-1.conf'), 'utf8');
    // WHEN rendered again
    const second = renderTestbed({ spec, root: dir, hostHasKvm: false });
    // THEN every file is unchanged, the secrets file too
    expect(first.changes.every((c) => c.change === 'created')).toBe(true);
    expect(second.changes.filter((c) => c.change !== 'unchanged')).toEqual([]);
    expect(second.secretsWritten).toBe(false);
    expect(readFileSync(second.secretsFile, 'utf8')).toBe(secretsBefore);
    expect(readFileSync(join(second.outDir, 'nova', 'compute-1.conf'), 'utf8')).toBe(confBefore);
    expect(first.outDir).toBe(join(dir, '.testbed', 'sds-testbed', 'cloud'));
  });

  it('lists every file in manifest.json with its sha256, and no secret value', () => {
    const result = renderTestbed({ spec: specOf(), root: dir, target: 'lab', hostHasKvm: false });
    const manifest = JSON.parse(readFileSync(join(result.outDir, 'manifest.json'), 'utf8'));
    const secrets = JSON.parse(readFileSync(result.secretsFile, 'utf8'));
    expect(manifest.target).toBe('lab');
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain('ceph/ceph.mon.keyring');
    const text = JSON.stringify(manifest);
    for (const v of [...Object.values(secrets.passwords), ...Object.values(secrets.cephx), secrets.rbd_secret_uuid] as string[])
      expect(text).not.toContain(v);
  });

  it('updates only the files a spec change touches', () => {
    renderTestbed({ spec: specOf(), root: dir, hostHasKvm: false });
    const again = renderTestbed({ spec: specOf({ live_migration: { downtime_ms: 900 } }), root: dir, hostHasKvm: false });
    expect(
      again.changes
        .filter((c) => c.change !== 'unchanged')
        .map((c) => c.path)
        .sort(),
    ).toEqual(['manifest.json', 'nova/compute-1.conf', 'nova/compute-2.conf', 'policy/policy.yaml']);
  });
});

describe('testbed render (CLI)', () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'render-cli-'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['render', '--spec', REPO_SPEC, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints what changed, then that nothing changed, and never a secret', async () => {
    // WHEN rendered twice for the lab with --mon-host
    const first = await run('--target', 'lab', '--mon-host', '127.0.0.1', '--out', 'rendered');
    const second = await run('--target', 'lab', '--mon-host', '127.0.0.1', '--out', 'rendered');
    // THEN
    expect(first.code).toBe(0);
    expect(first.out).toContain('created ceph/ceph.conf');
    // 20 files for the lab (3 nova.conf where the cloud has 5, 1 controller cinder.conf), manifest.json included
    expect(first.out).toMatch(/: 20 of 20 files changed$/);
    expect(second.out).toMatch(/: 0 of 20 files changed$/);
    expect(readFileSync(join(dir, 'rendered', 'ceph', 'ceph.conf'), 'utf8')).toContain('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]');
    const secrets = readFileSync(join(dir, '.testbed', 'sds-testbed', 'secrets.json'), 'utf8');
    for (const v of secrets.match(/"[A-Za-z0-9+/=-]{32,}"/g) ?? []) expect(first.out + first.err).not.toContain(v.slice(1, -1));
  });

  it('fails on an unknown target, naming the allowed ones', async () => {
    const r = await run('--target', 'moon');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--target: unknown target "moon"; allowed: cloud, lab');
  });

  it('fails on a --mon-host that is not an IPv4 address', async () => {
    const r = await run('--target', 'lab', '--mon-host', 'localhost');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--mon-host: "localhost" is not an IPv4 address');
  });

  it('fails on unreadable Terraform outputs, naming the file', async () => {
    const r = await run('--tf-outputs', 'missing.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^missing\.json: 1 problem in the Terraform outputs\n {2}- cannot read the file \(ENOENT\)/m);
  });

  it('reads the Terraform outputs file', async () => {
    writeFileSync(
      'out.json',
      JSON.stringify({
        testbed_inventory: { value: { bastion: { host: 'controller-1', floating_ip: '203.0.113.9', ssh_user: 'debian' }, hosts: [] } },
      }),
    );
    const r = await run('--tf-outputs', 'out.json');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, '.testbed', 'sds-testbed', 'cloud', 'inventory.yml'), 'utf8')).toContain('ProxyJump=debian@203.0.113.9');
  });
});
