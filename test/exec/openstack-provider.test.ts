/**
 * The real OpenStack provider, offline: scripts/install-openstack-provider.sh builds it into the
 * project's filesystem mirror, the project's CLI config (src/exec/terraform.ts) makes `terraform init`
 * install it from there, and the bindings and the synthesized stacks agree with it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Testing } from 'cdktf';
import { validateSpec } from '../../src/config/load.js';
import {
  cliConfig,
  OPENSTACK_PROVIDER_VERSION,
  openstackProviderBinary,
  projectCliConfig,
  providerMirror,
  terraformBinary,
  terraformEnv,
  terraformPlatform,
} from '../../src/exec/terraform.js';
import { TestbedStack } from '../../stacks/testbed-stack.js';
import { PROVIDER_SCHEMA_PATH, providerSchemaAvailable } from '../support/provider-schema.js';
import { describeWhere, hasBinary, itWhere, missing } from '../support/requirements.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FQPN = 'registry.terraform.io/terraform-provider-openstack/openstack';
const SCRIPT = join(ROOT, 'scripts', 'install-openstack-provider.sh');

describe('the project CLI config', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tf-cli-config-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('installs providers as usual while the mirror has no OpenStack provider', () => {
    // GIVEN a project without a provider mirror
    // WHEN its CLI config is written
    const text = readFileSync(projectCliConfig(root), 'utf8');
    // THEN it only turns the checkpoint calls off
    expect(text).toContain('disable_checkpoint = true');
    expect(text).not.toContain('provider_installation');
  });

  it('takes the OpenStack provider from the mirror only, and rewrites a stale config once the binary is there', () => {
    // GIVEN a config written before the mirror existed
    const file = projectCliConfig(root);
    // WHEN the provider appears in the mirror
    const binary = openstackProviderBinary(root);
    mkdirSync(dirname(binary), { recursive: true });
    writeFileSync(binary, '');
    // THEN the same call rewrites the config with a filesystem mirror for openstack and direct for the rest
    expect(projectCliConfig(root)).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(cliConfig(root));
    const addresses =
      '["registry.terraform.io/terraform-provider-openstack/openstack", "registry.opentofu.org/terraform-provider-openstack/openstack"]';
    expect(text).toContain(
      [
        'provider_installation {',
        '  filesystem_mirror {',
        `    path    = ${JSON.stringify(join(root, '.testbed', 'terraform-plugins'))}`,
        `    include = ${addresses}`,
        '  }',
        '  direct {',
        `    exclude = ${addresses}`,
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('keeps the binary in Terraform’s unpacked mirror layout for this platform', () => {
    expect(openstackProviderBinary(root, 'linux_amd64')).toBe(
      join(
        root,
        '.testbed/terraform-plugins/registry.terraform.io/terraform-provider-openstack/openstack/3.4.0/linux_amd64/terraform-provider-openstack_v3.4.0',
      ),
    );
    expect(terraformPlatform('linux', 'x64')).toBe('linux_amd64');
    expect(terraformPlatform('linux', 'arm64')).toBe('linux_arm64');
  });

  it('is what every project command gets as TF_CLI_CONFIG_FILE, whatever the environment set', () => {
    const env = terraformEnv({ PATH: process.env.PATH, TF_CLI_CONFIG_FILE: '/root/.terraformrc' }, root);
    expect(env.TF_CLI_CONFIG_FILE).toBe(join(root, '.testbed', 'terraform.rc'));
  });
});

const BINARY = openstackProviderBinary(ROOT);
const TERRAFORM = terraformBinary();
/** Go as the install script finds it: /usr/local/go first, else `go` on PATH. */
const GO = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : hasBinary('go') ? 'go' : undefined;
const needs =
  missing({ files: { [BINARY]: 'the OpenStack provider in the filesystem mirror (bash scripts/install-openstack-provider.sh builds it)' } }) ??
  (GO ? undefined : 'needs Go (/usr/local/go/bin/go or go on PATH)') ??
  (TERRAFORM ? undefined : 'needs terraform or tofu (bash scripts/install-tofu.sh builds tofu)');

/** Runs a command, never through a shell. Any registry request goes to a dead proxy on loopback, so a run that needs the network fails. */
function run(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(file, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      ...terraformEnv(),
      CHECKPOINT_DISABLE: '1',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '',
      ...env,
    },
  });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Terraform's `h1:` hash of a provider package folder: base64 of the SHA-256 of "sha256  name\n" for each file, sorted. */
function h1(dir: string): string {
  const summary = readdirSync(dir)
    .sort()
    .map(
      (name) =>
        `${createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex')}  ${name}\n`,
    )
    .join('');
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

/** The openstack_* resource types the default testbed stack synthesizes. */
function stackResourceTypes(): string[] {
  const { spec } = validateSpec({});
  const stack = new TestbedStack(Testing.app(), 'testbed', { spec, specHash: 'a', configHash: 'b' });
  const synth = JSON.parse(Testing.synth(stack)) as { resource: Record<string, unknown> };
  return Object.keys(synth.resource).filter((t) => t.startsWith('openstack_'));
}

describeWhere(needs, 'the real OpenStack provider 3.4.0 from the filesystem mirror', () => {
  const tf = TERRAFORM!;
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'openstack-provider-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is the provider module at v3.4.0, and a second install builds nothing', () => {
    // GIVEN the mirror filled by the install step (.ci/run runs it before npm ci)
    const info = ok(run(GO!, ['version', '-m', BINARY], ROOT), 'go version -m');
    expect(info).toMatch(/^\s*mod\s+github\.com\/terraform-provider-openstack\/terraform-provider-openstack\/v3\s+v3\.4\.0\s/m);
    expect(info).toMatch(/^\s*build\s+CGO_ENABLED=0$/m);
    expect(info).toMatch(/^\s*build\s+-trimpath=true$/m);
    // WHEN the install step runs again, and in --check mode
    const started = Date.now();
    const again = ok(run('bash', [SCRIPT], ROOT), 'install-openstack-provider.sh');
    const seconds = (Date.now() - started) / 1000;
    const check = ok(run('bash', [SCRIPT, '--check'], ROOT), 'install-openstack-provider.sh --check');
    // THEN it finds the provider in place and is done in seconds
    expect(again).toMatch(/^ok: terraform-provider-openstack 3\.4\.0 \(linux_amd64\) in the filesystem mirror /);
    expect(again).not.toMatch(/building|built in/);
    expect(seconds).toBeLessThan(10);
    expect(check).toMatch(/^ok: /);
    // and OpenTofu's address for the provider is the same file
    const tofuCopy = BINARY.replace('/registry.terraform.io/', '/registry.opentofu.org/');
    expect(existsSync(tofuCopy)).toBe(true);
    expect(h1(dirname(tofuCopy))).toBe(h1(dirname(BINARY)));
  });

  it('is what `terraform init` installs with the project CLI config, with no network', () => {
    // GIVEN a config that requires the provider at exactly 3.4.0, and registry traffic sent to a dead proxy
    const dir = join(work, 'init');
    mkdirSync(dir);
    const config = {
      terraform: { required_providers: { openstack: { source: 'terraform-provider-openstack/openstack', version: OPENSTACK_PROVIDER_VERSION } } },
    };
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config));
    // WHEN terraform init runs with the project's CLI config
    const out = ok(run(tf, ['init', '-input=false', '-no-color', '-backend=false'], dir), `${tf} init`);
    // THEN it installed 3.4.0 and the lock file records the mirror binary's own hash
    expect(out).toMatch(/Installed terraform-provider-openstack\/openstack v3\.4\.0 \(unauthenticated\)/);
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toMatch(/provider "registry\.(terraform|opentofu)\.(io|org)\/terraform-provider-openstack\/openstack" \{\s*version\s*=\s*"3\.4\.0"/);
    expect(lock).toContain(`"${h1(dirname(BINARY))}"`);
  });

  it('reports a schema with every resource type the testbed stack uses', () => {
    // GIVEN the folder initialized above
    const dir = join(work, 'init');
    // WHEN the provider is asked for its schema
    const schema = JSON.parse(ok(run(tf, ['providers', 'schema', '-json'], dir), `${tf} providers schema -json`));
    const provider = Object.entries(schema.provider_schemas as Record<string, { resource_schemas: Record<string, unknown> }>).find(([k]) =>
      k.endsWith('/terraform-provider-openstack/openstack'),
    )![1];
    writeFileSync(join(work, 'schema.json'), JSON.stringify(provider));
    // THEN it has the resources the stacks are built from
    const types = Object.keys(provider.resource_schemas);
    for (const t of [
      'openstack_compute_instance_v2',
      'openstack_networking_port_v2',
      'openstack_blockstorage_volume_v3',
      'openstack_compute_volume_attach_v2',
    ])
      expect(types).toContain(t);
    const used = stackResourceTypes();
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((t) => !types.includes(t))).toEqual([]);
  });

  itWhere(
    providerSchemaAvailable ? undefined : `needs the provider schema file at ${PROVIDER_SCHEMA_PATH}`,
    'reports the same schema as the shared copy the offline bindings fall back to',
    () => {
      const shared = JSON.parse(readFileSync(PROVIDER_SCHEMA_PATH, 'utf8')).provider_schemas[FQPN];
      expect(JSON.parse(readFileSync(join(work, 'schema.json'), 'utf8'))).toEqual(shared);
    },
  );

  it('is where `npm run get` takes the bindings from', () => {
    // WHEN the bindings step runs (as npm ci's postinstall does; it regenerates only when its source changed)
    const out = ok(run('node', [join(ROOT, 'scripts', 'get-providers.mjs')], ROOT), 'get-providers.mjs');
    // THEN it names the mirror's binary as its source, and the stamp in .gen is that binary's
    expect(out).toContain(`the provider binary ${BINARY}`);
    const sha = createHash('sha256').update(readFileSync(BINARY)).digest('hex');
    expect(readFileSync(join(ROOT, '.gen', 'providers', 'openstack', '.schema-sha256'), 'utf8')).toMatch(
      new RegExp(`^provider binary sha256 ${sha} via `),
    );
  });

  it('accepts the stacks as `cdktf synth` writes them: terraform validate with the real provider', () => {
    // GIVEN the app synthesized by the cdktf CLI into a temp folder, from a spec whose public key
    // file exists (Terraform reads it with file() when it validates)
    const key = join(work, 'id_ed25519.pub');
    writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForValidateOnly0000000000000000000 test\n');
    const spec = join(work, 'testbed.yaml');
    writeFileSync(spec, `cloud:\n  key_pair:\n    public_key_file: ${JSON.stringify(key)}\n`);
    const out = join(work, 'cdktf.out');
    ok(run('npx', ['--no-install', 'cdktf', 'synth', '--output', out], ROOT, { TESTBED_SPEC: spec }), 'cdktf synth');
    const stackDir = join(out, 'stacks', 'testbed');
    const synth = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(synth.terraform.required_providers.openstack).toEqual({
      source: 'terraform-provider-openstack/openstack',
      version: OPENSTACK_PROVIDER_VERSION,
    });
    // WHEN Terraform initializes the stack from the mirror (no network) and validates it
    const dir = join(work, basename(stackDir));
    cpSync(stackDir, dir, { recursive: true });
    ok(run(tf, ['init', '-input=false', '-no-color', '-backend=false'], dir), `${tf} init (testbed stack)`);
    const validate = run(tf, ['validate', '-json', '-no-color'], dir);
    // THEN the provider itself finds no error in the whole testbed stack
    const result = JSON.parse(validate.stdout) as {
      valid: boolean;
      error_count: number;
      diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
    };
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result).toMatchObject({ valid: true, error_count: 0 });
    expect(validate.status).toBe(0);
    // and the lab stack synthesized beside it
    expect(existsSync(join(out, 'stacks', 'lab', 'cdk.tf.json'))).toBe(true);
    expect(providerMirror(ROOT)).toBe(join(ROOT, '.testbed', 'terraform-plugins'));
  });
});
