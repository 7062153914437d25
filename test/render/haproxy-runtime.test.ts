/**
 * The rendered lab haproxy.cfg, run for real: the policy job's contract with HAProxy is the runtime API
 * on the stats socket (admin level), backend `app`, servers added at run time and their weights set.
 * Loopback only: the lab range is put on 127.0.0.0/24, so HAProxy binds 127.0.0.10.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_BACKEND } from '../../src/render/haproxy-data.js';
import { renderTestbed } from '../../src/render/render.js';
import { missingTools, specOf } from './fixtures.js';
import { describeWhere } from '../support/requirements.js';

const skip = process.getuid?.() !== 0 ? 'needs root (binds port 80)' : missingTools(['haproxy']);

function runtime(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('end', () => resolve(out.trim()));
    c.end(`${command}\n`);
  });
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWhere(skip, 'the rendered lab haproxy.cfg under a real HAProxy', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let socket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'haproxy-runtime-'));
    const labDir = join(dir, 'lab');
    const result = renderTestbed({ spec: specOf({ lab: { dir: labDir, cidr: '127.0.0.0/24' } }), root: dir, target: 'lab', hostHasKvm: false });
    socket = join(labDir, 'haproxy', 'admin.sock');
    mkdirSync(join(labDir, 'haproxy'), { recursive: true });
    // -db: stay in the foreground, so child.pid is HAProxy's own PID (ended below by that PID only).
    child = spawn('haproxy', ['-db', '-f', join(result.outDir, 'haproxy', 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    await waitFor(() => existsSync(socket) || child!.exitCode !== null, 10_000);
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${stderr}`);
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts admin commands on the stats socket: add a VM to the app backend and set its weight', async () => {
    // GIVEN the running load balancer with an empty app backend
    expect(await runtime(socket, `show servers state ${APP_BACKEND}`)).not.toContain('vm-1');
    // WHEN the policy job adds a VM and sets its weight to w1, then w2
    expect(await runtime(socket, `add server ${APP_BACKEND}/vm-1 127.0.0.1:18080 weight 128`)).toContain('New server registered');
    expect(await runtime(socket, `enable server ${APP_BACKEND}/vm-1`)).toBe('');
    expect(await runtime(socket, `set weight ${APP_BACKEND}/vm-1 32`)).toBe('');
    // THEN HAProxy reports the new weight
    expect(await runtime(socket, `get weight ${APP_BACKEND}/vm-1`)).toBe('32 (initial 128)');
  });

  it('fails a weight change for a server that does not exist (the check can fail)', async () => {
    expect(await runtime(socket, `set weight ${APP_BACKEND}/nope 32`)).toMatch(/No such server/);
  });
});
