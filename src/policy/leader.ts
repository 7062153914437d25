/**
 * One leader only: the job takes a lock file holding its PID before it acts. A second instance finds
 * the file, sees that PID alive, and does not act. A lock left by a dead process is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export interface LeaderLock {
  readonly path: string;
  readonly pid: number;
  /** Removes the file if it still holds our PID. Idempotent. */
  release(): void;
}

export type LockResult = { readonly ok: true; readonly lock: LeaderLock } | { readonly ok: false; readonly holderPid: number; readonly path: string };

/** Whether a PID is a live process (signal 0 checks without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLeaderLock(path: string, pid = process.pid, isAlive: (pid: number) => boolean = pidAlive): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      let released = false;
      return {
        ok: true,
        lock: {
          path,
          pid,
          release() {
            if (released) return;
            released = true;
            try {
              if (Number.parseInt(readFileSync(path, 'utf8'), 10) === pid) unlinkSync(path);
            } catch {
              // Already gone.
            }
          },
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: number;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // Removed between our two calls: try again.
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== pid && isAlive(holder)) return { ok: false, holderPid: holder, path };
    // Stale (dead holder, garbage, or our own PID from a crashed run): take it over.
    try {
      unlinkSync(path);
    } catch {
      // Someone else took it over first; the next attempt sees their PID.
    }
  }
  throw new Error(`could not take the leader lock ${path} after 3 attempts; remove it if no policy job is running`);
}
