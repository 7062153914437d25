/** Shared fixtures for the render tests: the default spec, deterministic secrets, and real-tool runs. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parse as parseIniText } from 'ini';
import { validateSpec } from '../../src/config/load.js';
import type { TestbedSpecInput } from '../../src/config/schema.js';
import { renderContext, type RenderInput, type RenderTarget } from '../../src/render/render-context.js';
import { renderFiles, type RenderedFile } from '../../src/render/render-files.js';
import { generateSecrets, redactSecrets, type Secrets } from '../../src/secrets/secrets.js';

export function specOf(input: TestbedSpecInput = {}) {
  return validateSpec(input).spec;
}

/** Secrets from a fixed seed: the same on every run, so snapshots are stable (and redacted anyway). */
export function fixedSecrets(seed = 'render-tests'): Secrets {
  let counter = 0;
  const random = (n: number) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, i);
    return out;
  };
  return generateSecrets({ random, uuid: () => '0f3a7c52-5e1d-4c8b-9a47-2b6e1d9c3f08', now: Date.UTC(2025, 0, 1) });
}

export const OUT_DIR = '/srv/testbed/rendered';

export function renderWith(target: RenderTarget, input: TestbedSpecInput = {}, extra: Partial<RenderInput> = {}): RenderedFile[] {
  return renderFiles(renderContext({ spec: specOf(input), target, secrets: fixedSecrets(), outDir: OUT_DIR, hostHasKvm: false, ...extra }));
}

export function fileOf(files: readonly RenderedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no rendered file ${path}; have ${files.map((x) => x.path).join(', ')}`);
  return f.content;
}

/** A rendered tree as one snapshot-able object, every secret value replaced with `<secret>`. */
export function redactedTree(files: readonly RenderedFile[], secrets = fixedSecrets()): Record<string, string> {
  return Object.fromEntries(files.map((f) => [`${f.path} (${f.mode.toString(8)})`, redactSecrets(f.content, secrets)]));
}

const PATH_DIRS = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);

/** Why tests with these real tools cannot run here (undefined: they can). CI installs them all. */
export function missingTools(binaries: readonly string[]): string | undefined {
  const missing = binaries.filter((b) => !PATH_DIRS.some((d) => existsSync(`${d}/${b}`)));
  return missing.length ? `needs ${missing.join(', ')} (scripts/install-system-deps.sh)` : undefined;
}

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a real tool (argv, no shell) and returns its exit code and output. */
export function runTool(file: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `tasks` with at most `limit` at a time (the machine has 2 cores). */
export async function limited<T>(tasks: readonly (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Parses INI text with the `ini` package, keeping dotted section names (`[client.nova]`, `[mon.]`) whole. */

export function parseConf(text: string): Record<string, any> {
  return parseIniText(text.replace(/^\[(.+)\]\s*$/gm, (_, s: string) => `[${s.replace(/\./g, '\\.')}]`));
}
