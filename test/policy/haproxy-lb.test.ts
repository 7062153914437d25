import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyError, HaproxyLoadBalancer } from '../../src/policy/haproxy-lb.js';
import { describeWhere } from '../support/requirements.js';

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;

describeWhere(
  haveHaproxy ? undefined : 'needs haproxy (Debian package haproxy; scripts/install-system-deps.sh)',
  'the HAProxy driver, against a real haproxy on a unix socket',
  () => {
    let dir: string;
    let child: ChildProcess;
    let lb: HaproxyLoadBalancer;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'policy-haproxy-'));
      const sock = join(dir, 'admin.sock');
      // Servers on 127.0.0.1 without health checks: haproxy never sends them anything.
      writeFileSync(
        join(dir, 'haproxy.cfg'),
        [
          'global',
          `  stats socket ${sock} mode 600 level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 1s',
          '  timeout server 1s',
          'frontend fe',
          `  bind unix@${join(dir, 'fe.sock')}`,
          '  default_backend web',
          'backend web',
          '  balance roundrobin',
          '  server vm1 127.0.0.1:18081 weight 128',
          '  server vm2 127.0.0.1:18082 weight 128',
          '',
        ].join('\n'),
      );
      child = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(sock)) throw new Error(`haproxy did not open its admin socket: ${stderr}`);
      lb = new HaproxyLoadBalancer({ socket: sock });
    });

    afterAll(async () => {
      if (child?.pid && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('reads back the configured servers', async () => {
      const state = await lb.readBack();
      expect(state.map((s) => [s.backend, s.server, s.address, s.port, s.weight, s.admin])).toEqual([
        ['web', 'vm1', '127.0.0.1', 18081, 128, 'ready'],
        ['web', 'vm2', '127.0.0.1', 18082, 128, 'ready'],
      ]);
    });

    it('sets weights W1 and W2, read back with show servers state', async () => {
      await lb.setWeight({ backend: 'web', server: 'vm1' }, 32);
      expect((await lb.readBack()).find((s) => s.server === 'vm1')!.weight).toBe(32);
      await lb.setWeight({ backend: 'web', server: 'vm1' }, 128);
      expect((await lb.readBack()).find((s) => s.server === 'vm1')!.weight).toBe(128);
    });

    it('drains a server and makes it ready again', async () => {
      await lb.drain({ backend: 'web', server: 'vm2' });
      expect((await lb.readBack()).find((s) => s.server === 'vm2')!.admin).toBe('drain');
      await lb.ready({ backend: 'web', server: 'vm2' });
      expect((await lb.readBack()).find((s) => s.server === 'vm2')!.admin).toBe('ready');
    });

    it('adds a dynamic server (CREATE) and removes it (TERM)', async () => {
      await lb.addServer({ backend: 'web', server: 'vm3' }, '127.0.0.1', 18083, 32);
      expect((await lb.readBack()).find((s) => s.server === 'vm3')).toMatchObject({ address: '127.0.0.1', port: 18083, weight: 32, admin: 'ready' });
      await lb.removeServer({ backend: 'web', server: 'vm3' });
      expect((await lb.readBack()).map((s) => s.server)).toEqual(['vm1', 'vm2']);
    });

    it("fails with haproxy's own message for an unknown server", async () => {
      await expect(lb.setWeight({ backend: 'web', server: 'nope' }, 10)).rejects.toThrow(/"set server web\/nope weight 10" failed: .*No such server/);
    });

    it('fails before sending anything for a name that could inject a command', async () => {
      await expect(lb.drain({ backend: 'web', server: 'vm1 state maint' })).rejects.toBeInstanceOf(HaproxyError);
      await expect(lb.setWeight({ backend: 'web', server: 'vm1' }, 300)).rejects.toThrow(/allowed: an integer 0..256/);
    });

    it('fails clearly when the socket is unreachable', async () => {
      const gone = new HaproxyLoadBalancer({ socket: join(dir, 'missing.sock'), timeoutMs: 500 });
      await expect(gone.readBack()).rejects.toThrow(/cannot reach .*missing.sock/);
    });
  },
);
