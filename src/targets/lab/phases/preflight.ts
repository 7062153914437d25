/**
 * Preflight, before anything starts: root, free disk under lab.dir, what scripts/install-system-deps.sh
 * checks (the Debian packages, QEMU >= 9, a Terraform CLI), and KVM or TCG with a QEMU that migrates
 * correctly under TCG. It fails closed: whatever it cannot establish is a problem, never an "ok".
 * As root it fixes what the install script can fix by running that script (the one list of what the
 * lab needs), streaming its progress, then checks again; otherwise it prints the one command to run.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaRunner, ToolFailedError, type Runner } from '../../../exec/index.js';
import { labHosts } from '../context.js';
import { LabPhaseError, type LabPhase, type PhaseContext } from './phase.js';

/** Marks lab.dir as the lab's, so that destroy removes only a folder the lab made. */
export const LAB_MARKER = '.sds-testbed-lab';

/** The lab needs about 15 GiB (Ceph's OSD files and prefilled images, the guest, QEMU's RAM files). */
export const LAB_FREE_DISK_GIB = 15;
/** Under TCG, QEMU < 9.0 loses guest writes during migration (upstream fix 03bfc2188f). */
export const MIN_TCG_QEMU = [9, 0] as const;

export const INSTALL_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../scripts/install-system-deps.sh');
/** The exit code of `install-system-deps.sh --check` when something is missing. */
const CHECK_MISSING_EXIT = 3;

/** One line of `install-system-deps.sh --check`: `missing <kind> <what>`. */
export interface MissingItem {
  readonly kind: 'package' | 'qemu' | 'terraform';
  /** The package; for qemu the version found (or "absent"); for terraform what would be built. */
  readonly what: string;
}

export interface PreflightFacts {
  readonly isRoot: boolean;
  readonly freeGib: number;
  readonly hasKvm: boolean;
  /** From `qemu-system-x86_64 --version`; undefined when QEMU is absent or printed no version. */
  readonly qemuVersion?: readonly [number, number, number];
  /** What the install script's --check reported missing. */
  readonly missing: readonly MissingItem[];
  /** Why the install script's --check gave no usable answer (then nothing it checks is vouched for). */
  readonly checkFailure?: string;
}

export interface PreflightVerdict {
  readonly accel: 'kvm' | 'tcg';
  readonly problems: readonly string[];
  /** The one command that fixes the fixable problems (as root), when there are any. */
  readonly fix?: string;
}

/** What the machine is, for gatherFacts; tests replace it. */
export interface MachineProbe {
  readonly isRoot: () => boolean;
  readonly hasKvm: () => boolean;
  readonly freeGib: (dir: string) => number;
}

export const realMachine: MachineProbe = {
  isRoot: () => process.getuid?.() === 0,
  hasKvm: () => existsSync('/dev/kvm'),
  freeGib: (dir) => {
    let probe = dir;
    while (!existsSync(probe)) probe = dirname(probe);
    const fs = statfsSync(probe);
    return (fs.bavail * fs.bsize) / 2 ** 30;
  },
};

export function parseQemuVersion(text: string): [number, number, number] | undefined {
  const m = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Parses `install-system-deps.sh --check`'s answer; an answer it cannot read is a checkFailure. */
export function parseCheck(exitCode: number, stdout: string): { missing: MissingItem[]; checkFailure?: string } {
  const lines = stdout.split('\n').filter((l) => l.trim());
  if (exitCode === 0 && lines.some((l) => l.startsWith('ok'))) return { missing: [] };
  const missing: MissingItem[] = [];
  const unreadable: string[] = [];
  for (const line of lines) {
    const m = /^missing (package|qemu|terraform) ([A-Za-z0-9.+-]+)$/.exec(line.trim());
    if (m) missing.push({ kind: m[1] as MissingItem['kind'], what: m[2]! });
    else unreadable.push(line.trim());
  }
  if (exitCode === CHECK_MISSING_EXIT && missing.length && !unreadable.length) return { missing };
  return {
    missing,
    checkFailure: `\`bash ${INSTALL_SCRIPT} --check\` exited ${exitCode} with ${lines.length ? JSON.stringify(lines.slice(0, 3).join('; ')) : 'no output'}`,
  };
}

const versionText = (v: readonly number[]) => v.join('.');
const below = (v: readonly number[], min: readonly number[]) => v[0]! < min[0]! || (v[0] === min[0] && v[1]! < min[1]!);

/** Pure: what is wrong and the one command that fixes what can be fixed. */
export function judgePreflight(facts: PreflightFacts, accelSetting: 'auto' | 'kvm' | 'tcg'): PreflightVerdict {
  const problems: string[] = [];
  let fixable = false;
  if (!facts.isRoot) problems.push('the lab needs root (network namespaces, tc, Ceph daemons): run it as root');
  if (facts.freeGib < LAB_FREE_DISK_GIB)
    problems.push(
      `lab.dir has ${facts.freeGib.toFixed(1)} GiB free; the lab needs about ${LAB_FREE_DISK_GIB} GiB: free space or point lab.dir at a larger disk`,
    );
  if (facts.checkFailure) {
    problems.push(`could not establish which packages are installed: ${facts.checkFailure}`);
    fixable = true;
  }
  const packages = facts.missing.filter((m) => m.kind === 'package').map((m) => m.what);
  if (packages.length) {
    problems.push(`missing Debian packages: ${packages.join(' ')}`);
    fixable = true;
  }
  if (facts.missing.some((m) => m.kind === 'terraform')) {
    const what = facts.missing.find((m) => m.kind === 'terraform')!.what;
    problems.push(`neither terraform nor tofu is on PATH (cdktf needs one): the install builds ${what.replace('-', ' ')} with Go`);
    fixable = true;
  }
  let accel: 'kvm' | 'tcg' = accelSetting === 'auto' ? (facts.hasKvm ? 'kvm' : 'tcg') : accelSetting;
  if (accel === 'kvm' && !facts.hasKvm) {
    problems.push('lab.accel is kvm but /dev/kvm is missing: set lab.accel to auto or tcg');
    accel = 'tcg';
  }
  const qemuItem = facts.missing.find((m) => m.kind === 'qemu');
  if (!facts.qemuVersion) {
    problems.push(
      'QEMU: `qemu-system-x86_64 --version` gave no version (QEMU is not installed or does not start): install QEMU from bookworm-backports',
    );
    fixable = true;
  } else if (qemuItem || (accel === 'tcg' && below(facts.qemuVersion, MIN_TCG_QEMU))) {
    problems.push(
      `QEMU ${versionText(facts.qemuVersion)} under TCG loses guest writes during live migration (fixed in ${versionText(MIN_TCG_QEMU)}; ` +
        `lab.accel auto falls back to TCG when KVM guests do not boot): install QEMU from bookworm-backports`,
    );
    fixable = true;
  }
  const fix = fixable ? `${facts.isRoot ? '' : 'sudo '}bash ${INSTALL_SCRIPT}` : undefined;
  return { accel, problems, ...(fix ? { fix } : {}) };
}

export async function gatherFacts(labDir: string, runner: Runner = execaRunner, machine: MachineProbe = realMachine): Promise<PreflightFacts> {
  const check = await runner('bash', [INSTALL_SCRIPT, '--check'], { okExitCodes: [CHECK_MISSING_EXIT] }).then(
    (r) => parseCheck(r.exitCode, r.stdout),
    (e: Error) => ({ missing: [], checkFailure: e.message }),
  );
  const qemu = await runner('qemu-system-x86_64', ['--version'], {}).catch(() => undefined);
  const qemuVersion = qemu ? parseQemuVersion(qemu.stdout) : undefined;
  return {
    isRoot: machine.isRoot(),
    freeGib: machine.freeGib(labDir),
    hasKvm: machine.hasKvm(),
    ...(qemuVersion ? { qemuVersion } : {}),
    ...check,
  };
}

/** The preflight found something it cannot fix: an environment the user must change (exit code 2). */
export class PreflightError extends LabPhaseError {
  readonly exitCode = 2;
  constructor(what: string) {
    super('preflight', what);
    this.message = `lab preflight: ${what}`;
    this.name = 'PreflightError';
  }
}

function describe(verdict: PreflightVerdict): string {
  return [...verdict.problems, ...(verdict.fix ? [`fix with (as root): ${verdict.fix}`] : [])].join('\n  ');
}

/** Runs the install script with its output streamed; a failure is a PreflightError saying what to do. */
async function runInstall(runner: Runner): Promise<void> {
  try {
    await runner('bash', [INSTALL_SCRIPT], { inherit: true });
  } catch (e) {
    if (!(e instanceof ToolFailedError)) throw e;
    throw new PreflightError(
      `${INSTALL_SCRIPT} failed${e.exitCode === undefined ? '' : ` with exit code ${e.exitCode}`} (its output is above): ` +
        `fix what it names (apt sources, network to the Debian mirror or the Go module proxy, disk space), then run \`bash ${INSTALL_SCRIPT}\` again`,
    );
  }
}

export interface EnsureOptions {
  readonly runner?: Runner;
  readonly machine?: MachineProbe;
  readonly log: (line: string) => void;
}

/**
 * Checks, and as root installs what is missing by running the install script with its output
 * streamed, then checks again. Throws PreflightError with every remaining problem and the fix.
 */
export async function ensurePreflight(
  labDir: string,
  accelSetting: 'auto' | 'kvm' | 'tcg',
  { runner = execaRunner, machine = realMachine, log }: EnsureOptions,
): Promise<{ facts: PreflightFacts; verdict: PreflightVerdict }> {
  let facts = await gatherFacts(labDir, runner, machine);
  let verdict = judgePreflight(facts, accelSetting);
  if (verdict.problems.length && verdict.fix && facts.isRoot) {
    log(`installing what is missing (${verdict.problems.join('; ')}): bash ${INSTALL_SCRIPT}`);
    await runInstall(runner);
    facts = await gatherFacts(labDir, runner, machine);
    verdict = judgePreflight(facts, accelSetting);
  }
  if (verdict.problems.length) throw new PreflightError(describe(verdict));
  return { facts, verdict };
}

/**
 * What the test command needs of the machine (vitest's global setup): what the install script checks.
 * As root it installs what is missing, streaming the script's progress; otherwise it throws with the
 * command to run. Never passes on a machine the check finds lacking.
 */
export async function ensureSystemDeps({ runner = execaRunner, machine = realMachine, log }: EnsureOptions): Promise<void> {
  const check = async () =>
    runner('bash', [INSTALL_SCRIPT, '--check'], { okExitCodes: [CHECK_MISSING_EXIT] }).then(
      (r) => parseCheck(r.exitCode, r.stdout),
      (e: Error) => ({ missing: [] as MissingItem[], checkFailure: e.message }),
    );
  const describeCheck = (c: Awaited<ReturnType<typeof check>>) =>
    c.checkFailure ?? c.missing.map((m) => (m.kind === 'package' ? m.what : m.kind === 'qemu' ? `QEMU >= 9 (found ${m.what})` : m.what)).join(', ');
  let c = await check();
  if (!c.checkFailure && !c.missing.length) return;
  if (!machine.isRoot())
    throw new PreflightError(`the tests need what is missing on this machine (${describeCheck(c)}): run as root \`sudo bash ${INSTALL_SCRIPT}\``);
  log(`installing what the tests need (${describeCheck(c)}): bash ${INSTALL_SCRIPT}`);
  await runInstall(runner);
  c = await check();
  if (c.checkFailure || c.missing.length) throw new PreflightError(`${INSTALL_SCRIPT} ran, but still missing: ${describeCheck(c)}`);
}

export const preflightPhase: LabPhase = {
  async up({ spec, log }: PhaseContext) {
    const { facts, verdict } = await ensurePreflight(spec.lab.dir, spec.lab.accel, { log });
    mkdirSync(spec.lab.dir, { recursive: true });
    writeFileSync(join(spec.lab.dir, LAB_MARKER), 'This folder belongs to the sds-testbed lab; `cdktf destroy lab` removes it.\n');
    log(
      `preflight: ok (root, ${facts.freeGib.toFixed(0)} GiB free under ${spec.lab.dir}, ${verdict.accel.toUpperCase()}, QEMU ${versionText(facts.qemuVersion!)})`,
    );
  },
  async down({ spec, log }) {
    // The last phase to go. A deploy killed while the hosts came up has no hosts resource in
    // Terraform's state, so destroy never runs the hosts' down: their down (idempotent, from the plan
    // and the hosts' own state file) runs here first, so that the containers, links and bridge go too.
    const hosts = labHosts(spec, log);
    await hosts.down();
    // Then the lab's data. Only a folder that the preflight marked as the lab's is removed, and the
    // hosts' cache (base rootfs, package cache) stays, also when it is inside (`testbed lab purge`).
    if (!existsSync(join(spec.lab.dir, LAB_MARKER))) return;
    const kept = removeAllBut(spec.lab.dir, hosts.cacheDir);
    log(kept ? `removed ${spec.lab.dir}, all but its cache ${kept}` : `removed ${spec.lab.dir}`);
  },
};

/**
 * Removes `dir` whole or, when `keep` is inside it, everything but `keep` and the folders leading to
 * it; returns `keep` when it stayed.
 */
export function removeAllBut(dir: string, keep: string): string | undefined {
  const rel = relative(resolve(dir), resolve(keep));
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`)) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  let at = resolve(dir);
  for (const part of rel.split(sep)) {
    for (const entry of readdirSync(at)) if (entry !== part) rmSync(join(at, entry), { recursive: true, force: true });
    at = join(at, part);
  }
  return keep;
}
