#!/usr/bin/env node
// Generates the OpenStack provider bindings into .gen/providers/openstack/ (gitignored, never edited).
//
// Offline route: where OPENSTACK_PROVIDER_SCHEMA names a file, or ../shared/provider-schemas/openstack.json
// exists, the bindings are generated from that `terraform providers schema -json` output with cdktf's own
// generator (byte-identical to `cdktf get`). Elsewhere it falls back to `cdktf get`, which needs the
// Terraform registry.
//
// Skips the work when .gen already matches the schema's hash (pass --force to regenerate).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
const CONSTRAINT = 'terraform-provider-openstack/openstack@~> 3.4';
const outDir = join(root, '.gen');
const stamp = join(outDir, 'providers', 'openstack', '.schema-sha256');
const force = process.argv.includes('--force');

function findSchema() {
  const fromEnv = process.env.OPENSTACK_PROVIDER_SCHEMA;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      console.error(`get-providers: OPENSTACK_PROVIDER_SCHEMA=${fromEnv} does not exist; unset it or point it at a schema file`);
      process.exit(2);
    }
    return resolve(fromEnv);
  }
  const shared = resolve(root, '..', 'shared', 'provider-schemas', 'openstack.json');
  return existsSync(shared) ? shared : undefined;
}

async function generateOffline(schemaPath) {
  const raw = readFileSync(schemaPath);
  const sha = createHash('sha256').update(raw).digest('hex');
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sha) {
    console.log(`get-providers: .gen/providers/openstack is up to date with ${schemaPath}`);
    return;
  }
  const started = Date.now();
  const schema = JSON.parse(raw.toString('utf8'));
  if (!schema.provider_schemas?.[FQPN]) {
    console.error(`get-providers: ${schemaPath} has no provider_schemas["${FQPN}"]; it is not the OpenStack provider's schema`);
    process.exit(2);
  }
  const version = process.env.OPENSTACK_PROVIDER_VERSION ?? '3.4.0';
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
  writeFileSync(stamp, sha + '\n');
  console.log(`get-providers: generated .gen/providers/openstack from ${schemaPath} (provider ${version}) in ${Date.now() - started} ms`);
}

function generateOnline() {
  console.log(
    'get-providers: no provider schema file found (OPENSTACK_PROVIDER_SCHEMA or ../shared/provider-schemas/openstack.json); running `cdktf get`',
  );
  const r = spawnSync('npx', ['cdktf', 'get'], { cwd: root, stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

const schemaPath = findSchema();
if (schemaPath) await generateOffline(schemaPath);
else generateOnline();
