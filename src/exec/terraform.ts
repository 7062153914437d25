/**
 * Which Terraform CLI cdktf runs, chosen here and nowhere else: `terraform` when it is on PATH, else
 * `tofu` (OpenTofu, which scripts/install-tofu.sh builds when neither is present). A
 * TERRAFORM_BINARY_NAME the user set wins. Terraform also gets the project's own CLI config
 * (`.testbed/terraform.rc`, gitignored), so it never reads or warns about the user's ~/.terraformrc.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where scripts/install-tofu.sh puts OpenTofu by default (TOFU_BIN_DIR overrides it there). */
export const TOFU_DEFAULT_DIR = '/usr/local/bin';

const CLI_CONFIG = [
  '# Written by src/exec/terraform.ts: the Terraform/OpenTofu CLI config for this project only (TF_CLI_CONFIG_FILE).',
  '# No checkpoint calls; providers install as usual.',
  'disable_checkpoint = true',
  '',
].join('\n');

/** The first executable `name` on PATH, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Terraform binary cdktf should run: a name on PATH or an absolute path; undefined when there is none. */
export function terraformBinary(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (env.TERRAFORM_BINARY_NAME) return env.TERRAFORM_BINARY_NAME;
  if (onPath('terraform', env.PATH)) return 'terraform';
  if (onPath('tofu', env.PATH)) return 'tofu';
  const built = join(TOFU_DEFAULT_DIR, 'tofu');
  return existsSync(built) ? built : undefined;
}

/** Writes the project's CLI config when it is absent or stale, and returns its absolute path. */
export function projectCliConfig(root = PROJECT_ROOT): string {
  const file = join(root, '.testbed', 'terraform.rc');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== CLI_CONFIG) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, CLI_CONFIG);
  }
  return file;
}

/**
 * The environment every cdktf/Terraform command of the project runs with: TERRAFORM_BINARY_NAME
 * (only when it is not plain `terraform`, cdktf's default) and TF_CLI_CONFIG_FILE.
 */
export function terraformEnv(env: Readonly<Record<string, string | undefined>> = process.env, root = PROJECT_ROOT): Record<string, string> {
  const binary = terraformBinary(env);
  return {
    ...(binary && binary !== 'terraform' ? { TERRAFORM_BINARY_NAME: binary } : {}),
    TF_CLI_CONFIG_FILE: projectCliConfig(root),
  };
}
