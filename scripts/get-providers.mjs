#!/usr/bin/env node
// Generates the OpenStack provider bindings into .gen/providers/openstack/ (gitignored, never edited),
// from the first of these that is there, and says which one it used:
//   1. OPENSTACK_PROVIDER_SCHEMA, a `terraform providers schema -json` output file, when it is set;
//   2. the real provider binary in the project's filesystem mirror (.testbed/terraform-plugins/, filled by
//      scripts/install-openstack-provider.sh): in a temp dir, a tiny config that requires the provider at
//      3.4.0, `terraform init` from the mirror only (a CLI config with no other installation method, so
//      nothing reaches for a registry), then `terraform providers schema -json`; needs terraform or tofu;
//   3. ../shared/provider-schemas/openstack.json, the same schema as a file;
//   4. `cdktf get`, which needs the Terraform registry.
// 1-3 run cdktf's own generator (byte-identical to `cdktf get`).
//
// Skips the work when .gen already matches its source (the schema's hash, or the binary's; pass --force to regenerate).
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

process.env.CHECKPOINT_DISABLE = '1';
// cdktf's generator asks the Terraform CLI for its version: never let it read (or warn about) the
// user's ~/.terraformrc or a TF_CLI_CONFIG_FILE set for other work. An empty config is a valid one;
// the project's own commands pass .testbed/terraform.rc (src/exec/terraform.ts).
process.env.TF_CLI_CONFIG_FILE = '/dev/null';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const FQPN = 'registry.terraform.io/terraform-provider-openstack/openstack';
// OpenTofu's name for the same provider, in the schema `tofu providers schema -json` prints.
const TOFU_FQPN = 'registry.opentofu.org/terraform-provider-openstack/openstack';
// The version the mirror holds: OPENSTACK_PROVIDER_VERSION in src/exec/terraform.ts, VERSION in
// scripts/install-openstack-provider.sh.
const MIRROR_VERSION = '3.4.0';
const CONSTRAINT = 'terraform-provider-openstack/openstack@~> 3.4';
const outDir = join(root, '.gen');
const stamp = join(outDir, 'providers', 'openstack', '.schema-sha256');
const force = process.argv.includes('--force');

/** OPENSTACK_PROVIDER_SCHEMA when set (it must exist), else undefined. */
function schemaFromEnv() {
  const fromEnv = process.env.OPENSTACK_PROVIDER_SCHEMA;
  if (!fromEnv) return undefined;
  if (!existsSync(fromEnv)) {
    console.error(`get-providers: OPENSTACK_PROVIDER_SCHEMA=${fromEnv} does not exist; unset it or point it at a schema file`);
    process.exit(2);
  }
  return resolve(fromEnv);
}

/** Terraform's platform name for this machine (as src/exec/terraform.ts's terraformPlatform). */
function platform() {
  const goArch = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${process.platform}_${goArch[process.arch] ?? process.arch}`;
}
const mirror = join(root, '.testbed', 'terraform-plugins');
const mirrorBinary = join(mirror, FQPN, MIRROR_VERSION, platform(), `terraform-provider-openstack_v${MIRROR_VERSION}`);

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Terraform CLI, chosen as src/exec/terraform.ts does: TERRAFORM_BINARY_NAME, terraform, tofu, /usr/local/bin/tofu. */
function terraformCli() {
  if (process.env.TERRAFORM_BINARY_NAME) return process.env.TERRAFORM_BINARY_NAME;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['terraform', 'tofu']) if (dirs.some((d) => executable(join(d, name)))) return name;
  return executable('/usr/local/bin/tofu') ? '/usr/local/bin/tofu' : undefined;
}

function sha256(buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

function upToDate(key) {
  return !force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === key;
}

/** `terraform providers schema -json` of the mirror's provider binary, with the provider under FQPN. */
function schemaFromBinary(cli) {
  const dir = mkdtempSync(join(tmpdir(), 'get-providers-'));
  try {
    const config = {
      terraform: { required_providers: { openstack: { source: 'terraform-provider-openstack/openstack', version: MIRROR_VERSION } } },
    };
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2) + '\n');
    // The mirror is the only installation method: offline by construction.
    writeFileSync(
      join(dir, 'cli.tfrc'),
      `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
    );
    const env = { ...process.env, TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc'), TF_IN_AUTOMATION: '1' };
    const run = (args) => {
      const r = spawnSync(cli, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.status !== 0) {
        console.error(
          `get-providers: \`${cli} ${args.join(' ')}\` with the provider mirror ${mirror} failed (${r.error?.message ?? `exit ${r.status}`}):`,
        );
        console.error((r.stderr || r.stdout || '').trim());
        console.error('get-providers: rebuild the mirror with `bash scripts/install-openstack-provider.sh`, or remove it to use the schema file');
        process.exit(1);
      }
      return r.stdout;
    };
    run(['init', '-input=false', '-no-color', '-backend=false']);
    const schema = JSON.parse(run(['providers', 'schema', '-json']));
    const schemas = schema.provider_schemas ?? {};
    if (!schemas[FQPN] && schemas[TOFU_FQPN]) schema.provider_schemas = { [FQPN]: schemas[TOFU_FQPN] };
    return schema;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function generate(schema, key, source, version) {
  const started = Date.now();
  if (!schema.provider_schemas?.[FQPN]) {
    console.error(`get-providers: ${source} has no provider_schemas["${FQPN}"]; it is not the OpenStack provider's schema`);
    process.exit(2);
  }
  schema.provider_versions = { ...(schema.provider_versions ?? {}), [FQPN]: schema.provider_versions?.[FQPN] ?? version };
  const { TerraformProviderGenerator } = require('@cdktf/provider-generator/lib/get/generator/provider-generator');
  const { CodeMaker } = require('codemaker');
  const commons = require('@cdktf/commons');
  const code = new CodeMaker();
  const generator = new TerraformProviderGenerator(code, schema);
  const target = new commons.ConstructsMakerProviderTarget(
    commons.TerraformProviderConstraint.fromConfigEntry?.(CONSTRAINT) ?? new commons.TerraformProviderConstraint(CONSTRAINT),
    commons.Language.TYPESCRIPT,
  );
  generator.generate(target);
  rmSync(join(outDir, 'providers', 'openstack'), { recursive: true, force: true });
  await code.save(outDir);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, key + '\n');
  console.log(`get-providers: generated .gen/providers/openstack from ${source} (provider ${version}) in ${Date.now() - started} ms`);
}

async function fromSchemaFile(schemaPath) {
  const raw = readFileSync(schemaPath);
  const key = sha256(raw);
  if (upToDate(key)) {
    console.log(`get-providers: .gen/providers/openstack is up to date with ${schemaPath}`);
    return;
  }
  await generate(JSON.parse(raw.toString('utf8')), key, schemaPath, process.env.OPENSTACK_PROVIDER_VERSION ?? '3.4.0');
}

async function fromBinary(cli) {
  const key = `provider binary sha256 ${sha256(readFileSync(mirrorBinary))} via ${cli}`;
  const source = `the provider binary ${mirrorBinary} (\`${cli} providers schema -json\`)`;
  if (upToDate(key)) {
    console.log(`get-providers: .gen/providers/openstack is up to date with ${source}`);
    return;
  }
  const started = Date.now();
  const schema = schemaFromBinary(cli);
  console.log(
    `get-providers: read the schema from ${mirrorBinary} with ${cli} (init from the mirror, providers schema -json) in ${Date.now() - started} ms`,
  );
  await generate(schema, key, source, MIRROR_VERSION);
}

function generateOnline() {
  console.log(
    'get-providers: no provider schema file found (OPENSTACK_PROVIDER_SCHEMA, a provider binary in .testbed/terraform-plugins, or ../shared/provider-schemas/openstack.json); running `cdktf get`',
  );
  const r = spawnSync('npx', ['cdktf', 'get'], { cwd: root, stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

const shared = resolve(root, '..', 'shared', 'provider-schemas', 'openstack.json');
const fromEnv = schemaFromEnv();
const cli = existsSync(mirrorBinary) ? terraformCli() : undefined;
if (fromEnv) await fromSchemaFile(fromEnv);
else if (cli) await fromBinary(cli);
else {
  if (existsSync(mirrorBinary)) console.log(`get-providers: ${mirrorBinary} is there, but neither terraform nor tofu is: not using it`);
  if (existsSync(shared)) await fromSchemaFile(shared);
  else generateOnline();
}
