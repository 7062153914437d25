/**
 * The cloud's policy job starts from exactly what the migration_policy role ships.
 *
 * The role itself (real Ansible, on this machine, into a temp folder) stages the job's files
 * (scripts/policy-job-files.mjs: the CLI's import graph plus package.json and package-lock.json),
 * copies them, runs `npm ci --omit=dev` there, lays down the rendered spec and the systemd unit. The
 * test then runs the unit's ExecStart line, as systemd would (its WorkingDirectory and Environment,
 * nothing of this checkout), against the Nova contract server and a real HAProxy admin socket, until
 * the job prints its first decision.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parsePlayRecap } from '../../src/exec/ansible.js';
import { startNovaContract, type ContractServer } from '../policy/nova-contract-server.js';
import { describeWhere, missing } from '../support/requirements.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Every file under `dir`, relative to it, leaving out node_modules. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) return p === 'node_modules' ? [] : filesUnder(dir, p);
    return [p];
  });
}

/** The `Key=value` lines of a unit's [Service] section. */
function serviceKeys(unit: string): Record<string, string> {
  const section = unit.split(/^\[Service\]$/m)[1]!.split(/^\[/m)[0]!;
  return Object.fromEntries(
    section
      .split('\n')
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describeWhere(missing({ binaries: ['ansible-playbook', 'haproxy', 'npm', 'node'] }), 'the policy job the migration_policy role ships', () => {
  let root: string;
  let nova: ContractServer;
  let haproxy: ReturnType<typeof spawn> | undefined;
  beforeAll(async () => {
    root = mkdtempSync('/var/tmp/testbed-policy-job-');
    nova = await startNovaContract();
  });
  afterAll(async () => {
    if (haproxy?.pid && haproxy.exitCode === null) {
      haproxy.kill('SIGTERM');
      await once(haproxy, 'exit');
    }
    await nova?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('installs exactly the files the job needs, and its unit starts the real CLI until the first decision', async () => {
    // GIVEN the default testbed rendered for the cloud
    const out = path.join(root, 'rendered');
    const render = spawnSync('node', [path.join(REPO, 'bin/testbed.mjs'), 'render', '--target', 'cloud', '--spec', path.join(REPO, 'testbed.yaml'), '--out', out], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(render.status, render.stderr).toBe(0);
    const inventoryVars = (await import('yaml')).parse(readFileSync(path.join(out, 'inventory.yml'), 'utf8')).all.vars;
    // AND a clouds.yaml naming the contract server under the testbed's cloud name, and a real HAProxy with its admin socket
    const clouds = path.join(root, 'etc/openstack/clouds.yaml');
    mkdirSync(path.dirname(clouds), { recursive: true });
    const e = nova.env;
    const auth = {
      auth_url: e.OS_AUTH_URL,
      username: e.OS_USERNAME,
      password: e.OS_PASSWORD,
      project_name: e.OS_PROJECT_NAME,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    };
    writeFileSync(clouds, stringify({ clouds: { [inventoryVars.testbed_name]: { auth, region_name: e.OS_REGION_NAME } } }), { mode: 0o600 });
    const socket = path.join(root, 'haproxy/admin.sock');
    mkdirSync(path.dirname(socket), { recursive: true });
    const cfg = path.join(root, 'haproxy/haproxy.cfg');
    const servers = nova.state.servers.map((s) => `  server ${s.name} ${s.ip}:80`).join('\n');
    writeFileSync(
      cfg,
      `global\n  stats socket ${socket} mode 600 level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend app\n${servers}\n`,
    );
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(socket)).toBe(true);

    // WHEN the role runs on this machine, into temp folders, without starting the unit
    const install = path.join(root, 'opt/sds-testbed');
    const unitDir = path.join(root, 'etc/systemd/system');
    mkdirSync(unitDir, { recursive: true });
    const vars = {
      testbed_rendered_dir: out,
      testbed_target: 'cloud',
      testbed_name: inventoryVars.testbed_name,
      testbed_haproxy_socket: socket,
      migration_policy_source_dir: REPO,
      migration_policy_install_dir: install,
      migration_policy_config_path: path.join(root, 'etc/sds-testbed/policy.yaml'),
      migration_policy_clouds_file: clouds,
      migration_policy_lock_path: path.join(root, 'run/leader.lock'),
      migration_policy_unit_dir: unitDir,
      migration_policy_packages: [],
      migration_policy_start_service: false,
      migration_policy_node: process.execPath,
    };
    mkdirSync(path.join(root, 'run'));
    writeFileSync(path.join(root, 'vars.json'), JSON.stringify(vars));
    writeFileSync(
      path.join(root, 'play.yml'),
      '---\n- name: The policy job on this machine.\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  roles:\n    - role: migration_policy\n',
    );
    const play = () =>
      spawnSync('ansible-playbook', ['-i', 'localhost,', path.join(root, 'play.yml'), '-e', `@${path.join(root, 'vars.json')}`], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_ROLES_PATH: path.join(REPO, 'playbooks/roles'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
      });
    const first = play();
    expect(first.status, `${first.stdout}\n${first.stderr}`).toBe(0);

    // THEN the install folder holds exactly the files the import graph names (plus the dependencies npm ci installed)
    const expected = spawnSync('node', [path.join(REPO, 'scripts/policy-job-files.mjs')], { cwd: REPO, encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(filesUnder(install).sort()).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(['bin/testbed.mjs', 'package.json', 'package-lock.json', 'src/cli/main.ts', 'src/policy/nova-compute.ts']));
    expect(statSync(path.join(install, 'node_modules/tsx')).isDirectory()).toBe(true);
    expect(existsSync(path.join(install, 'node_modules/vitest'))).toBe(false);
    // AND a second run changes nothing
    const second = play();
    expect(second.status, second.stdout).toBe(0);
    expect(parsePlayRecap(second.stdout).localhost).toMatchObject({ changed: 0, failed: 0 });

    // WHEN the unit's command line runs as systemd would run it
    const unit = serviceKeys(readFileSync(path.join(unitDir, 'sds-testbed-policy.service'), 'utf8'));
    expect(unit.ExecStart).not.toMatch(/["'\\]/);
    const argv = unit.ExecStart!.split(' ');
    expect(argv.slice(1, 6)).toEqual([path.join(install, 'bin/testbed.mjs'), 'policy', 'run', '--target', 'nova']);
    expect(argv.at(-1)).toBe('--dry-run');
    const [key, value] = unit.Environment!.split('=');
    const job = spawn(argv[0]!, argv.slice(1), { cwd: unit.WorkingDirectory, env: { PATH: process.env.PATH, HOME: root, [key!]: value! }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    job.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const events: Array<{ type: string; [k: string]: unknown }> = [];
    const lines = createInterface({ input: job.stdout! });
    const firstPlan = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no decision within 90 s; events ${JSON.stringify(events)}; stderr ${stderr}`)), 90_000);
      lines.on('line', (l) => {
        events.push(JSON.parse(l));
        if (events.at(-1)!.type === 'plan') {
          clearTimeout(timer);
          resolve();
        }
      });
      job.on('exit', (code) => reject(new Error(`the job exited (${code}) before its first decision: ${stderr}`)));
    });
    await firstPlan;
    job.kill('SIGTERM');
    const [code] = (await once(job, 'exit')) as [number | null];

    // THEN it started on Nova through the shipped clouds.yaml and HAProxy's socket, decided in dry-run, changed nothing, and stopped cleanly
    expect(events[0]).toMatchObject({ type: 'job:start', dryRun: true, drivers: `nova via ${clouds} (cloud ${inventoryVars.testbed_name}), haproxy at ${socket}` });
    const plan = events.find((x) => x.type === 'plan') as unknown as { dryRun: boolean; plan: { decisions: unknown[] } };
    expect(plan.dryRun).toBe(true);
    // (the first reading of each VM has no CPU delta yet: the job says so, and decides nothing for it)
    expect(plan.plan.decisions).toEqual([]);
    const firstReadings = events.filter((x) => x.type === 'warning' && /first reading, no CPU delta yet/.test(String(x.message)));
    expect(firstReadings).toHaveLength(nova.state.servers.length);
    expect(nova.state.log.filter((l) => l.method !== 'GET' && !l.path.includes('auth/tokens'))).toEqual([]);
    expect(code).toBe(0);
    expect(existsSync(vars.migration_policy_lock_path)).toBe(false);
  }, 300_000);
});
