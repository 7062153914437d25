/**
 * What an integration suite needs from this machine, and what happens when it is missing.
 *
 * A suite that needs root, a binary or a file runs through `describeWhere` / `itWhere`. Where its
 * needs are met it runs as usual. Where they are not:
 * - with `TESTBED_REQUIRE_ALL=1` (set by `.ci/run`) it becomes one failing test that names what is
 *   missing, so a missing tool can never turn into a green run;
 * - otherwise it is skipped, and `test/global-setup.ts` lists every skipped suite at the end of the run.
 * `npm run test:unit` (TESTBED_UNIT_ONLY=1) leaves out every suite declared here, met or not.
 */
import { appendFileSync, existsSync } from 'node:fs';

const PATH_DIRS = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');

/** True when skips must fail (CI, or a user who asks for it). */
export const requireAll = process.env.TESTBED_REQUIRE_ALL === '1';
/** `npm run test:unit`: only the tests that need neither root nor system packages. */
const unitOnly = process.env.TESTBED_UNIT_ONLY === '1';
const UNIT_ONLY = 'an integration suite (npm run test:unit runs only unit tests; npm test runs everything)';

export function hasBinary(name: string): boolean {
  return PATH_DIRS.some((d) => existsSync(`${d}/${name}`));
}

export interface Needs {
  /** Why the suite needs root, e.g. 'network namespaces, tc'. @default - root is not needed */
  readonly root?: string;
  /** Binaries that must be on PATH. @default [] */
  readonly binaries?: readonly string[];
  /** Files or folders that must exist, with what they are. @default {} */
  readonly files?: Readonly<Record<string, string>>;
}

/** Why a suite with these needs cannot run here, or undefined when it can. */
export function missing(needs: Needs): string | undefined {
  const problems: string[] = [];
  if (needs.root !== undefined && process.getuid?.() !== 0) problems.push(`root (${needs.root})`);
  const bins = (needs.binaries ?? []).filter((b) => !hasBinary(b));
  if (bins.length) problems.push(`${bins.join(', ')} on PATH (scripts/install-system-deps.sh installs them)`);
  for (const [path, what] of Object.entries(needs.files ?? {})) if (!existsSync(path)) problems.push(`${what} at ${path}`);
  return problems.length ? `needs ${problems.join('; ')}` : undefined;
}

/** Back-compat shape used by the lab tests: root plus binaries. */
export function missingFor(binaries: readonly string[], root = 'network namespaces, tc'): string | undefined {
  return missing({ root, binaries });
}

function recordSkip(name: string, why: string): void {
  const log = process.env.TESTBED_SKIP_LOG;
  if (log) appendFileSync(log, `${name}: ${why}\n`);
}

function failing(name: string, why: string): () => void {
  return () => {
    throw new Error(`${name}: ${why}. TESTBED_REQUIRE_ALL=1 turns this skip into a failure; install what is missing and run again.`);
  };
}

/**
 * What a skipped suite collects instead of its body: the body may make temp folders or start
 * things at collection time, which a suite that cannot run must not do.
 */
function notCollected(): void {
  it.skip('(not collected: the suite cannot run here)', () => {});
}

/** `describe`, run only where `why` is undefined (see the module comment for the other case). */
export function describeWhere(why: string | undefined, name: string, fn: () => void): void {
  if (unitOnly) describe.skip(`${name} (${UNIT_ONLY})`, notCollected);
  else if (why === undefined) describe(name, fn);
  else if (requireAll) describe(name, () => it(`cannot run: ${why}`, failing(name, why)));
  else {
    recordSkip(name, why);
    describe.skip(`${name} (skipped: ${why})`, notCollected);
  }
}

/** `it`, run only where `why` is undefined (see the module comment for the other case). */
export function itWhere(why: string | undefined, name: string, fn: () => unknown, timeout?: number): void {
  if (unitOnly) it.skip(`${name} (${UNIT_ONLY})`, fn);
  else if (why === undefined) it(name, fn, timeout);
  else if (requireAll) it(`${name} (cannot run: ${why})`, failing(name, why));
  else {
    recordSkip(name, why);
    it.skip(`${name} (skipped: ${why})`, fn);
  }
}
