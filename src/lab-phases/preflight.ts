/**
 * Preflight, before anything starts: root, free disk under lab.dir, the Debian packages, KVM or
 * TCG with a QEMU that migrates correctly under TCG. Installs what is missing when run as root;
 * otherwise prints the exact commands.
 */
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaRunner, type Runner } from '../exec/runner.js';
import { LabPhaseError, type LabPhase, type PhaseContext } from './phase.js';

/** Marks lab.dir as the lab's, so that destroy removes only a folder the lab made. */
export const LAB_MARKER = '.sds-testbed-lab';

/** The lab needs about 15 GiB (Ceph's OSD files and prefilled images, the guest, QEMU's RAM files). */
export const LAB_FREE_DISK_GIB = 15;
/** Under TCG, QEMU < 9.0 loses guest writes during migration (upstream fix 03bfc2188f). */
export const MIN_TCG_QEMU = [9, 0] as const;

const INSTALL_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/install-system-deps.sh');

export interface PreflightFacts {
  readonly isRoot: boolean;
  readonly freeGib: number;
  readonly hasKvm: boolean;
  readonly qemuVersion?: readonly [number, number, number];
  readonly missingPackages: readonly string[];
}

export interface PreflightVerdict {
  readonly accel: 'kvm' | 'tcg';
  readonly problems: readonly string[];
  /** Commands that fix the problems (run as root). */
  readonly fixes: readonly string[];
}

export function parseQemuVersion(text: string): [number, number, number] | undefined {
  const m = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Pure: what is wrong and how to fix it. */
export function judgePreflight(facts: PreflightFacts, accelSetting: 'auto' | 'kvm' | 'tcg'): PreflightVerdict {
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!facts.isRoot) problems.push('the lab needs root (network namespaces, tc, Ceph daemons): run it as root');
  if (facts.freeGib < LAB_FREE_DISK_GIB)
    problems.push(
      `lab.dir has ${facts.freeGib.toFixed(1)} GiB free; the lab needs about ${LAB_FREE_DISK_GIB} GiB: free space or point lab.dir at a larger disk`,
    );
  if (facts.missingPackages.length) {
    problems.push(`missing Debian packages: ${facts.missingPackages.join(' ')}`);
    fixes.push(`apt-get update && apt-get install -y --no-install-recommends ${facts.missingPackages.join(' ')}`);
  }
  let accel: 'kvm' | 'tcg' = accelSetting === 'auto' ? (facts.hasKvm ? 'kvm' : 'tcg') : accelSetting;
  if (accel === 'kvm' && !facts.hasKvm) {
    problems.push('lab.accel is kvm but /dev/kvm is missing: set lab.accel to auto or tcg');
    accel = 'tcg';
  }
  if (accel === 'tcg' && facts.qemuVersion) {
    const [major, minor] = facts.qemuVersion;
    if (major < MIN_TCG_QEMU[0] || (major === MIN_TCG_QEMU[0] && minor < MIN_TCG_QEMU[1])) {
      problems.push(
        `QEMU ${facts.qemuVersion.join('.')} under TCG loses guest writes during live migration (fixed in 9.0): install QEMU from bookworm-backports`,
      );
      fixes.push(
        "sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources | head -1 | xargs -I{} sh -c 'printf \"Types: deb\\nURIs: {}\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n\" > /etc/apt/sources.list.d/backports.sources'",
        'apt-get update && apt-get install -y -t bookworm-backports qemu-system-x86 qemu-utils qemu-block-extra',
      );
    }
  }
  return { accel, problems, fixes };
}

export async function gatherFacts(labDir: string, runner: Runner = execaRunner): Promise<PreflightFacts> {
  const isRoot = process.getuid?.() === 0;
  let probe = labDir;
  while (!existsSync(probe)) probe = dirname(probe);
  const fs = statfsSync(probe);
  const freeGib = (fs.bavail * fs.bsize) / 2 ** 30;
  const check = await runner('bash', [INSTALL_SCRIPT, '--check'], {}).catch((e: Error) => ({ exitCode: 3, stdout: e.message, stderr: '' }));
  const missing = /missing: (.*)/.exec(check.stdout)?.[1]?.trim().split(/\s+/) ?? [];
  const qemu = await runner('qemu-system-x86_64', ['--version'], {}).catch(() => undefined);
  return { isRoot, freeGib, hasKvm: existsSync('/dev/kvm'), qemuVersion: qemu ? parseQemuVersion(qemu.stdout) : undefined, missingPackages: missing };
}

export const preflightPhase: LabPhase = {
  name: 'preflight',
  description: 'root, free disk, Debian packages, KVM or a TCG-safe QEMU',
  async up({ spec, log }: PhaseContext) {
    let facts = await gatherFacts(spec.lab.dir);
    let verdict = judgePreflight(facts, spec.lab.accel);
    if (verdict.problems.length && facts.isRoot && verdict.fixes.length) {
      log(`preflight: fixing: ${verdict.problems.join('; ')}`);
      for (const fix of verdict.fixes) await execaRunner('sh', ['-c', fix], { inherit: true });
      facts = await gatherFacts(spec.lab.dir);
      verdict = judgePreflight(facts, spec.lab.accel);
    }
    if (verdict.problems.length) {
      throw new LabPhaseError(
        'preflight',
        [...verdict.problems, ...(verdict.fixes.length ? ['fix with:', ...verdict.fixes.map((f) => `  ${f}`)] : [])].join('\n  '),
      );
    }
    mkdirSync(spec.lab.dir, { recursive: true });
    writeFileSync(join(spec.lab.dir, LAB_MARKER), 'This folder belongs to the sds-testbed lab; `cdktf destroy lab` removes it.\n');
    log(
      `preflight: ok (root, ${facts.freeGib.toFixed(0)} GiB free under ${spec.lab.dir}, ${verdict.accel.toUpperCase()}, QEMU ${facts.qemuVersion?.join('.') ?? '?'})`,
    );
  },
  async down({ spec, log }) {
    // The last phase to go: every other phase has stopped its processes and released its mounts,
    // so the lab's data goes too. Only a folder that the preflight marked as the lab's is removed.
    if (!existsSync(join(spec.lab.dir, LAB_MARKER))) return;
    rmSync(spec.lab.dir, { recursive: true, force: true });
    log(`removed ${spec.lab.dir}`);
  },
};
