import { execaRunner, type Runner } from './runner.js';
import { terraformEnv } from './terraform.js';

export interface CdktfOptions {
  readonly cwd?: string;
  readonly runner?: Runner;
  readonly inherit?: boolean;
  /** Extra environment (e.g. TESTBED_SPEC for the app). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs the project's cdktf CLI (`npx cdktf ...`) with CHECKPOINT_DISABLE=1 and the Terraform CLI
 * chosen by src/exec/terraform.ts (terraform, else OpenTofu; the project's own CLI config).
 */
export function cdktf(args: readonly string[], options: CdktfOptions = {}) {
  const run = options.runner ?? execaRunner;
  return run('npx', ['--no-install', 'cdktf', ...args], {
    cwd: options.cwd,
    inherit: options.inherit ?? true,
    env: { ...terraformEnv(), ...options.env, CHECKPOINT_DISABLE: '1' },
  });
}
