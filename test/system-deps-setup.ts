/**
 * Vitest's global setup, before any test file: the machine must have what the tests need (the same
 * check as the lab's preflight: scripts/install-system-deps.sh --check). As root it installs what is
 * missing, with the script's progress on the terminal; otherwise the run stops at once with the
 * command to run. It never lets the suite pass by skipping. About a third of a second when all is
 * there. `npm run test:unit` (TESTBED_UNIT_ONLY=1), the tests that need no system package, does
 * not check.
 * Then the real OpenStack provider in the project's filesystem mirror (scripts/install-openstack-provider.sh:
 * about 3 min to build it once, a few ms after that), which the provider suite needs; as root it is built
 * when missing, otherwise that suite says what to run.
 * It also puts the project's Terraform choice (src/exec/terraform.ts) into the environment of every
 * test, so tests that run `cdktf` use the same binary and CLI config as the CLI does.
 */
import { spawnSync } from 'node:child_process';
import { terraformEnv } from '../src/exec/terraform.js';
import { ensureSystemDeps } from '../src/targets/lab/phases/preflight.js';

export default async function setup(): Promise<void> {
  if (process.env.TESTBED_UNIT_ONLY !== '1') {
    await ensureSystemDeps({ log: (line) => console.error(`[test setup] ${line}`) });
    ensureOpenstackProvider();
  }
  Object.assign(process.env, terraformEnv());
}

function ensureOpenstackProvider(): void {
  const script = 'scripts/install-openstack-provider.sh';
  const check = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  if (check.status !== 3 || process.getuid?.() !== 0) return;
  console.error(`[test setup] ${check.stdout.trim()}: bash ${script}`);
  const run = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  // Not fatal here: the provider suite then says what is missing (and fails under TESTBED_REQUIRE_ALL=1).
  if (run.status !== 0) console.error(`[test setup] ${script} failed (exit ${run.status}); the provider suite will say what is missing`);
}
