/**
 * The QMP client against a real QEMU that stops answering: a QEMU frozen with SIGSTOP accepts the
 * connection (the kernel queues it) but never greets and never replies, as a QEMU blocked on a
 * storage cluster that is gone does. Teardown must get past it instead of waiting forever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QmpClient, QmpTimeoutError } from '../../src/lab/qmp.js';
import { describeWhere, missing } from '../support/requirements.js';

describeWhere(missing({ binaries: ['qemu-system-x86_64'] }), 'a QMP client facing a QEMU that stops answering', () => {
  let dir: string;
  let qemu: ChildProcess;
  let socket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-test-'));
    socket = join(dir, 'qmp.sock');
    qemu = spawn('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${socket},server=on,wait=off`], {
      stdio: 'ignore',
    });
    // Up once it greets and answers.
    const probe = await QmpClient.connect(socket, 10_000);
    await probe.execute('query-status');
    probe.close();
  });

  afterAll(() => {
    if (qemu.pid) {
      process.kill(qemu.pid, 'SIGCONT');
      qemu.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers commands while QEMU runs', async () => {
    const qmp = await QmpClient.connect(socket, 2000);
    const status = await qmp.execute<{ status: string }>('query-status');
    expect(status.status).toBeTypeOf('string');
    qmp.close();
  });

  it('gives up on a command QEMU never answers, with a QmpTimeoutError naming it', async () => {
    const qmp = await QmpClient.connect(socket, 2000);
    process.kill(qemu.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      const error = await qmp.execute('query-status', undefined, 500).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QmpTimeoutError);
      expect((error as QmpTimeoutError).command).toBe('query-status');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      process.kill(qemu.pid!, 'SIGCONT');
      qmp.close();
    }
  });

  it('gives up connecting to a QEMU that accepts the connection but never greets', async () => {
    process.kill(qemu.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      const error = await QmpClient.connect(socket, 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/cannot connect .*no QMP greeting/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      process.kill(qemu.pid!, 'SIGCONT');
    }
  });

  it('still works after QEMU is continued', async () => {
    const qmp = await QmpClient.connect(socket, 5000);
    await expect(qmp.execute('query-status')).resolves.toBeDefined();
    qmp.close();
  });
});
