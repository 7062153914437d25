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
    const child = spawn(file, [...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A run that outlives its test is stopped (by its own PID) instead of being left behind.
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const exitCode = code ?? 1;
      if (exitCode !== 0) console.error(`[${file} exited ${exitCode}] last lines:\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-TAIL_LINES).join('\n')}`);
      resolve({ exitCode, stdout, stderr });
    });
  });
