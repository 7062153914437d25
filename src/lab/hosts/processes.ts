/**
 * The host layer's processes (systemd-nspawn, apt-cacher-ng): identified by PID plus a marker that
 * must appear in /proc/PID/cmdline (a path under the lab folder), so a reused PID is never signalled.
 * Nothing is ever found or killed by program name.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The command line of a live process, arguments joined by spaces; undefined once it is gone (or a zombie). */
export function cmdline(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? undefined : text.split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and its command line contains `marker`. */
export function isOurs(pid: number | undefined, marker: string): pid is number {
  return pid !== undefined && (cmdline(pid)?.includes(marker) ?? false);
}

/** PIDs whose command line has `argument` as one whole argument (e.g. `--directory=/lab/hosts/machines/compute-1`). */
export function pidsWithArgument(argument: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(argument)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** PIDs with an argument that starts with `prefix` (a folder of ours, e.g. `/lab/hosts/`). */
export function pidsWithArgumentUnder(prefix: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${entry}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.startsWith(prefix))
      )
        out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Direct children of `pid` (from /proc/PID/stat's ppid field). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Waits until `alive()` turns false; true if it did within `timeoutMs`. */
export async function waitUntilGone(alive: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (alive()) {
    if (Date.now() >= until) return false;
    await sleep(100);
  }
  return true;
}

/** Sends `signal` if the process is still ours; true if it was. */
export function signalIfOurs(pid: number | undefined, marker: string, signal: NodeJS.Signals): boolean {
  if (!isOurs(pid, marker)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`, to a process that is ours; resolves once it is gone.
 * @returns whether it had to be killed
 */
export async function terminate(pid: number | undefined, marker: string, graceMs: number): Promise<'gone' | 'terminated' | 'killed'> {
  if (!signalIfOurs(pid, marker, 'SIGTERM')) return 'gone';
  if (await waitUntilGone(() => isOurs(pid, marker), graceMs)) return 'terminated';
  signalIfOurs(pid, marker, 'SIGKILL');
  await waitUntilGone(() => isOurs(pid, marker), 10_000);
  return 'killed';
}

/** Starts `argv` detached (it outlives us), output appended to `logFile`; returns its PID. */
export function spawnDetached(argv: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log], env });
    if (!child.pid) throw new Error(`could not start ${argv.join(' ')}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
