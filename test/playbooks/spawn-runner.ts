/**
 * A real `Runner` for the playbook tests that keeps the output of a failed run: it resolves with
 * the exit code instead of throwing, and prints the last lines of a failed run so CI logs show
 * which task failed (execaRunner's ToolFailedError carries only the short reason).
 */
import { spawn } from 'node:child_process';
import type { Runner } from '../../src/exec/runner.js';

export const TAIL_LINES = 60;

export const spawnRunner: Runner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends Ansible's forked workers too.
    const child = spawn(file, [...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A run that outlives its test is stopped (its own process group) instead of being left behind:
    // SIGTERM, then SIGKILL 10 s later (a worker stuck in a futex ignores SIGTERM).
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          signalGroup('SIGTERM');
          killTimer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
        }, options.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      const exitCode = code ?? 1;
      if (exitCode !== 0) console.error(`[${file} exited ${exitCode}] last lines:\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-TAIL_LINES).join('\n')}`);
      resolve({ exitCode, stdout, stderr });
    });
  });
