import { execaRunner, type Runner } from './runner.js';

export interface CdktfOptions {
  readonly cwd?: string;
  readonly runner?: Runner;
  readonly inherit?: boolean;
  /** Extra environment (e.g. TESTBED_SPEC for the app). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs the project's cdktf CLI (`npx cdktf ...`) with CHECKPOINT_DISABLE=1. */
export function cdktf(args: readonly string[], options: CdktfOptions = {}) {
  const run = options.runner ?? execaRunner;
  return run('npx', ['--no-install', 'cdktf', ...args], {
    cwd: options.cwd,
    inherit: options.inherit ?? true,
    env: { ...options.env, CHECKPOINT_DISABLE: '1' },
  });
}
