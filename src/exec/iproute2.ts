/**
 * iproute2 helpers for the lab (`ip`, `tc`, `ip netns exec`): argv arrays only, never a shell string.
 * Every helper takes the runner so tests can fake it; failures surface as `ToolFailedError`.
 */
import { execaRunner, type RunOptions, type Runner } from './runner.js';

/** `ip [-n NETNS] ARGS...`. */
export function ip(args: readonly string[], netns?: string, runner: Runner = execaRunner) {
  return runner('ip', netns ? ['-n', netns, ...args] : [...args]);
}

/** `tc [-n NETNS] ARGS...`. */
export function tc(args: readonly string[], netns?: string, runner: Runner = execaRunner) {
  return runner('tc', netns ? ['-n', netns, ...args] : [...args]);
}

/** `ip -j [-n NETNS] ARGS...`, parsed. */
export async function ipJson<T = unknown>(args: readonly string[], netns?: string, runner: Runner = execaRunner): Promise<T> {
  const r = await ip(['-j', ...args], netns, runner);
  const text = r.stdout.trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}

/** `ip netns exec NETNS FILE ARGS...` (the program replaces `ip`, so its PID is the child's). */
export function netnsExec(netns: string, file: string, args: readonly string[], options: RunOptions = {}, runner: Runner = execaRunner) {
  return runner('ip', ['netns', 'exec', netns, file, ...args], options);
}

/** Names of the network namespaces that exist now. */
export async function listNetns(runner: Runner = execaRunner): Promise<string[]> {
  const list = await ipJson<{ name: string }[]>(['netns', 'list'], undefined, runner);
  return list.map((n) => n.name);
}

/** PIDs of the processes that live in a network namespace. */
export async function netnsPids(netns: string, runner: Runner = execaRunner): Promise<number[]> {
  const r = await runner('ip', ['netns', 'pids', netns]);
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}
