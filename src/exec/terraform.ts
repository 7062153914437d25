/**
 * Which Terraform CLI cdktf runs, chosen here and nowhere else: `terraform` when it is on PATH, else
 * `tofu` (OpenTofu, which scripts/install-tofu.sh builds when neither is present). A
 * TERRAFORM_BINARY_NAME the user set wins. Terraform also gets the project's own CLI config
 * (`.testbed/terraform.rc`, gitignored), so it never reads or warns about the user's ~/.terraformrc
 * (nor a TF_CLI_CONFIG_FILE set for other work). Where the project's filesystem mirror holds the
 * OpenStack provider, that config installs the provider from there, with no registry.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where scripts/install-tofu.sh puts OpenTofu by default (TOFU_BIN_DIR overrides it there). */
export const TOFU_DEFAULT_DIR = '/usr/local/bin';

/** The OpenStack provider version the bindings are generated for, and that the filesystem mirror holds. */
export const OPENSTACK_PROVIDER_VERSION = '3.4.0';
/** The provider's addresses: Terraform's, and OpenTofu's name for the same provider. */
const OPENSTACK_ADDRESSES = ['registry.terraform.io', 'registry.opentofu.org'].map((host) => `${host}/terraform-provider-openstack/openstack`);

/** Terraform's name for this machine's platform, e.g. linux_amd64. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${platform}_${goArch[arch] ?? arch}`;
}

/** The project's filesystem mirror of providers (gitignored); scripts/install-openstack-provider.sh fills it. */
export function providerMirror(root = PROJECT_ROOT): string {
  return join(root, '.testbed', 'terraform-plugins');
}

/** Where the mirror keeps the OpenStack provider binary for this platform (Terraform's unpacked layout). */
export function openstackProviderBinary(root = PROJECT_ROOT, platform = terraformPlatform()): string {
  const v = OPENSTACK_PROVIDER_VERSION;
  return join(providerMirror(root), OPENSTACK_ADDRESSES[0]!, v, platform, `terraform-provider-openstack_v${v}`);
}

/**
 * The CLI config's text. Where the mirror holds the OpenStack provider, Terraform installs that
 * provider from the mirror only (never from the registry) and every other provider as usual.
 */
export function cliConfig(root = PROJECT_ROOT): string {
  const lines = [
    '# Written by src/exec/terraform.ts: the Terraform/OpenTofu CLI config for this project only (TF_CLI_CONFIG_FILE).',
    'disable_checkpoint = true',
  ];
  if (existsSync(openstackProviderBinary(root))) {
    const addresses = `[${OPENSTACK_ADDRESSES.map((a) => JSON.stringify(a)).join(', ')}]`;
    lines.push(
      "# The OpenStack provider comes from the project's filesystem mirror (scripts/install-openstack-provider.sh); the rest as usual.",
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(providerMirror(root))}`,
      `    include = ${addresses}`,
      '  }',
      '  direct {',
      `    exclude = ${addresses}`,
      '  }',
      '}',
    );
  } else {
    lines.push('# No provider mirror yet (scripts/install-openstack-provider.sh makes one): providers install as usual.');
  }
  return lines.join('\n') + '\n';
}

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
  const text = cliConfig(root);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
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
