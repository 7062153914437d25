/**
 * Vitest global setup: collects the integration suites that were skipped on this machine (see
 * test/support/requirements.ts) and lists them at the end of the run, so a local run never looks
 * more complete than it was.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'testbed-skips-'));
  const log = join(dir, 'skipped.txt');
  process.env.TESTBED_SKIP_LOG = log;
  return () => {
    let lines: string[] = [];
    try {
      lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      // Nothing was skipped.
    }
    rmSync(dir, { recursive: true, force: true });
    if (lines.length === 0) return;
    console.warn(`\n${lines.length} integration suite(s) SKIPPED on this machine (TESTBED_REQUIRE_ALL=1 makes these failures):`);
    for (const l of lines) console.warn(`  - ${l}`);
  };
}
