/**
 * Vitest's global setup, before any test file: the machine must have what the tests need (the same
 * check as the lab's preflight: scripts/install-system-deps.sh --check). As root it installs what is
 * missing, with the script's progress on the terminal; otherwise the run stops at once with the
 * command to run. It never lets the suite pass by skipping. About a third of a second when all is
 * there. `npm run test:unit` (TESTBED_UNIT_ONLY=1), the tests that need no system package, does
 * not check.
 * It also puts the project's Terraform choice (src/exec/terraform.ts) into the environment of every
 * test, so tests that run `cdktf` use the same binary and CLI config as the CLI does.
 */
import { terraformEnv } from '../src/exec/terraform.js';
import { ensureSystemDeps } from '../src/targets/lab/phases/preflight.js';

export default async function setup(): Promise<void> {
  if (process.env.TESTBED_UNIT_ONLY !== '1') await ensureSystemDeps({ log: (line) => console.error(`[test setup] ${line}`) });
  Object.assign(process.env, terraformEnv());
}
