/**
 * What the host layer has made, recorded as it goes in `<hosts dir>/state.json`, so a teardown in
 * another process (after a bring-up that was killed at any point) knows what exists.
 *
 * Each step is recorded *before* it is taken (the intent) and completed after (PIDs), and teardown
 * treats an intent as "may exist". Writes are atomic (temp file + rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RecordedHost {
  /** The per-host rootfs copy. */
  readonly root: string;
  /** Host side of its veth. */
  readonly hostLink: string;
  /** systemd-nspawn's PID. */
  readonly nspawnPid?: number;
  /** The container's PID 1 (nspawn's child), as seen from the host. */
  readonly leaderPid?: number;
}

export interface HostState {
  /** The bridge this layer created (absent: none). */
  bridge?: string;
  /** The package cache's PID and the marker in its command line (its config folder). */
  cache?: { readonly pid?: number; readonly marker: string };
  /** Container hosts by name. */
  hosts: Record<string, RecordedHost>;
}

export function readHostState(file: string): HostState {
  if (!existsSync(file)) return { hosts: {} };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<HostState>;
  return { ...parsed, hosts: parsed.hosts ?? {} };
}

export function writeHostState(file: string, state: HostState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Read, change, write. */
export function updateHostState(file: string, change: (s: HostState) => void): HostState {
  const state = readHostState(file);
  change(state);
  writeHostState(file, state);
  return state;
}
