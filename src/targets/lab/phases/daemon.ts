/**
 * Background processes the lab starts (HAProxy, the policy job): started with a PID file, and
 * stopped only by that PID after checking that /proc/PID/cmdline is still ours (a marker such as
 * the config path), SIGTERM first, SIGKILL after a grace period. Nothing is ever killed by name.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when `pid` runs and its command line contains `marker`. */
export function isOurs(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

/** The PID of our running daemon, if any. */
export function runningPid(pidFile: string, marker: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isOurs(pid, marker) ? pid : undefined;
}

export interface StartDaemonProps {
  readonly argv: readonly string[];
  readonly pidFile: string;
  /** A string of its command line that identifies it (its config path). */
  readonly marker: string;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts the process detached, in the foreground mode of the program, and records its PID. Idempotent. */
export async function startDaemon(p: StartDaemonProps): Promise<number> {
  const running = runningPid(p.pidFile, p.marker);
  if (running) return running;
  mkdirSync(dirname(p.pidFile), { recursive: true });
  mkdirSync(dirname(p.logFile), { recursive: true });
  const log = openSync(p.logFile, 'a');
  const child = spawn(p.argv[0]!, p.argv.slice(1), { detached: true, stdio: ['ignore', log, log], env: p.env ?? process.env, cwd: p.cwd });
  closeSync(log);
  const pid = child.pid;
  if (!pid) throw new Error(`could not start ${p.argv.join(' ')}`);
  child.unref();
  writeFileSync(p.pidFile, `${pid}\n`);
  await sleep(300);
  if (!isOurs(pid, p.marker)) {
    const tail = existsSync(p.logFile) ? readFileSync(p.logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    rmSync(p.pidFile, { force: true });
    throw new Error(`${p.argv[0]} exited at once; the end of ${p.logFile}:\n${tail}`);
  }
  return pid;
}

/** Stops our daemon by PID (SIGTERM, then SIGKILL after `graceMs`) and removes the PID file. */
export async function stopDaemon(pidFile: string, marker: string, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(pidFile, marker);
  rmSync(pidFile, { force: true });
  if (!pid) return false;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < graceMs; waited += 100) {
    if (!isOurs(pid, marker)) return true;
    await sleep(100);
  }
  if (isOurs(pid, marker)) process.kill(pid, 'SIGKILL');
  return true;
}
