import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execaRunner, ToolFailedError, type RunOptions, type Runner } from '../../../../src/exec/runner.js';
import {
  ensurePreflight,
  ensureSystemDeps,
  gatherFacts,
  INSTALL_SCRIPT,
  judgePreflight,
  parseCheck,
  parseQemuVersion,
  PreflightError,
  removeAllBut,
  type MachineProbe,
  type PreflightFacts,
} from '../../../../src/targets/lab/phases/preflight.js';

const healthy: PreflightFacts = { isRoot: true, freeGib: 80, hasKvm: true, qemuVersion: [10, 0, 2], missing: [] };
const rootMachine: MachineProbe = { isRoot: () => true, hasKvm: () => false, freeGib: () => 80 };
const userMachine: MachineProbe = { ...rootMachine, isRoot: () => false };

/**
 * A stand-in for the machine's programs with execaRunner's contract: a non-zero exit not listed in
 * okExitCodes rejects with ToolFailedError, and a program that is not installed rejects too.
 */
function fakeMachine(state: { installed: boolean; installFails?: boolean }) {
  const calls: Array<{ file: string; args: readonly string[]; options: RunOptions }> = [];
  const runner: Runner = async (file, args, options = {}) => {
    calls.push({ file, args, options });
    const answer = (exitCode: number, stdout: string) => {
      if (exitCode !== 0 && !options.okExitCodes?.includes(exitCode))
        throw new ToolFailedError(file, exitCode, `Command failed with exit code ${exitCode}: ${file} ${args.join(' ')}`);
      return { exitCode, stdout, stderr: '' };
    };
    if (file === 'bash' && args[0] === INSTALL_SCRIPT && args[1] === '--check')
      return state.installed
        ? answer(0, 'ok: all 21 packages present, QEMU 10.0.2, /usr/local/bin/tofu\n')
        : answer(3, 'missing package ceph-osd\nmissing package fio\nmissing qemu absent\nmissing terraform tofu-1.9.4\n');
    if (file === 'bash' && args[0] === INSTALL_SCRIPT && args.length === 1) {
      if (state.installFails) return answer(100, '');
      state.installed = true;
      return answer(0, '');
    }
    if (file === 'qemu-system-x86_64') {
      if (!state.installed) throw new ToolFailedError(file, undefined, 'Command failed with ENOENT: qemu-system-x86_64 --version');
      return answer(0, 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1~bpo12+1)\n');
    }
    throw new Error(`unexpected command ${file} ${args.join(' ')}`);
  };
  const installs = () => calls.filter((c) => c.file === 'bash' && c.args.length === 1);
  return { runner, calls, installs };
}

describe('the lab preflight', () => {
  it('passes on a root machine with KVM, disk, every package, QEMU and Terraform', () => {
    expect(judgePreflight(healthy, 'auto')).toEqual({ accel: 'kvm', problems: [] });
  });

  it('accepts QEMU 7.2 under KVM but refuses it under TCG, fixed by the install script', () => {
    expect(judgePreflight({ ...healthy, qemuVersion: [7, 2, 22] }, 'auto').problems).toEqual([]);
    const v = judgePreflight({ ...healthy, hasKvm: false, qemuVersion: [7, 2, 22] }, 'auto');
    expect(v.accel).toBe('tcg');
    expect(v.problems).toEqual([
      'QEMU 7.2.22 under TCG loses guest writes during live migration (fixed in 9.0; lab.accel auto falls back to TCG when KVM guests do not boot): install QEMU from bookworm-backports',
    ]);
    expect(v.fix).toBe(`bash ${INSTALL_SCRIPT}`);
  });

  it('counts a QEMU it cannot find as a problem, never as ok', () => {
    const { qemuVersion: _, ...noQemu } = healthy;
    const v = judgePreflight(noQemu, 'auto');
    expect(v.problems).toEqual([
      'QEMU: `qemu-system-x86_64 --version` gave no version (QEMU is not installed or does not start): install QEMU from bookworm-backports',
    ]);
    expect(v.fix).toBe(`bash ${INSTALL_SCRIPT}`);
  });

  it('counts an install check it cannot read as a problem, never as ok', () => {
    const v = judgePreflight({ ...healthy, checkFailure: 'bash failed (exit code 127)' }, 'auto');
    expect(v.problems).toEqual(['could not establish which packages are installed: bash failed (exit code 127)']);
    expect(v.fix).toBe(`bash ${INSTALL_SCRIPT}`);
  });

  it('fails for a non-root user, a small disk, missing packages and no Terraform, all at once, with the one command to run', () => {
    const v = judgePreflight(
      {
        ...healthy,
        isRoot: false,
        freeGib: 3.2,
        missing: [
          { kind: 'package', what: 'ceph-osd' },
          { kind: 'package', what: 'fio' },
          { kind: 'terraform', what: 'tofu-1.9.4' },
        ],
      },
      'auto',
    );
    expect(v.problems).toEqual([
      'the lab needs root (network namespaces, tc, Ceph daemons): run it as root',
      'lab.dir has 3.2 GiB free; the lab needs about 15 GiB: free space or point lab.dir at a larger disk',
      'missing Debian packages: ceph-osd fio',
      'neither terraform nor tofu is on PATH (cdktf needs one): the install builds tofu 1.9.4 with Go',
    ]);
    expect(v.fix).toBe(`sudo bash ${INSTALL_SCRIPT}`);
  });

  it('fails when KVM is required but absent, with nothing the install script could fix', () => {
    expect(judgePreflight({ ...healthy, hasKvm: false }, 'kvm')).toEqual({
      accel: 'tcg',
      problems: ['lab.accel is kvm but /dev/kvm is missing: set lab.accel to auto or tcg'],
    });
  });

  it('reads the QEMU version line', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright')).toEqual([7, 2, 22]);
    expect(parseQemuVersion('QEMU emulator version 10.0.2')).toEqual([10, 0, 2]);
    expect(parseQemuVersion('nope')).toBeUndefined();
  });

  it("reads the install script's --check answer, and refuses one it cannot read", () => {
    expect(parseCheck(0, 'ok: all 21 packages present\n')).toEqual({ missing: [] });
    expect(parseCheck(3, 'missing package fio\nmissing qemu 7.2.22\nmissing terraform tofu-1.9.4\n')).toEqual({
      missing: [
        { kind: 'package', what: 'fio' },
        { kind: 'qemu', what: '7.2.22' },
        { kind: 'terraform', what: 'tofu-1.9.4' },
      ],
    });
    expect(parseCheck(3, 'missing: fio qemu>=9(bookworm-backports)\n').checkFailure).toMatch(/--check` exited 3 with "missing: fio qemu>=9/);
    expect(parseCheck(0, '').checkFailure).toMatch(/exited 0 with no output/);
  });
});

describe('the preflight on a machine without the packages', () => {
  it('gathers what --check (exit 3) lists as missing and no QEMU version', async () => {
    const m = fakeMachine({ installed: false });
    const facts = await gatherFacts('/var/tmp/lab', m.runner, rootMachine);
    expect(facts.missing.map((i) => `${i.kind} ${i.what}`)).toEqual(['package ceph-osd', 'package fio', 'qemu absent', 'terraform tofu-1.9.4']);
    expect(facts.qemuVersion).toBeUndefined();
    expect(facts.checkFailure).toBeUndefined();
  });

  it('as root, runs the install script with its output streamed, checks again, and then passes', async () => {
    const m = fakeMachine({ installed: false });
    const log: string[] = [];
    const { verdict } = await ensurePreflight('/var/tmp/lab', 'auto', { runner: m.runner, machine: rootMachine, log: (l) => log.push(l) });
    expect(m.installs()).toEqual([{ file: 'bash', args: [INSTALL_SCRIPT], options: { inherit: true } }]);
    expect(log).toEqual([expect.stringMatching(/^installing what is missing \(missing Debian packages: ceph-osd fio; neither terraform/)]);
    expect(m.calls.filter((c) => c.args[1] === '--check')).toHaveLength(2);
    expect(verdict).toEqual({ accel: 'tcg', problems: [] });
  });

  it('as another user, installs nothing and refuses with the command to run (exit code 2)', async () => {
    const m = fakeMachine({ installed: false });
    const failure = await ensurePreflight('/var/tmp/lab', 'auto', { runner: m.runner, machine: userMachine, log: () => {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(PreflightError);
    expect(failure.exitCode).toBe(2);
    expect(failure.message).toContain('missing Debian packages: ceph-osd fio');
    expect(failure.message).toContain(`fix with (as root): sudo bash ${INSTALL_SCRIPT}`);
    expect(m.installs()).toEqual([]);
  });

  it('says what to do when the install script fails', async () => {
    const m = fakeMachine({ installed: false, installFails: true });
    const failure = await ensurePreflight('/var/tmp/lab', 'auto', { runner: m.runner, machine: rootMachine, log: () => {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(PreflightError);
    expect(failure.message).toBe(
      `lab preflight: ${INSTALL_SCRIPT} failed with exit code 100 (its output is above): fix what it names (apt sources, network to the Debian mirror or the Go module proxy, disk space), then run \`bash ${INSTALL_SCRIPT}\` again`,
    );
  });

  it('fails when the install script ran but the check still finds something missing', async () => {
    const m = fakeMachine({ installed: false });
    const stubborn: Runner = (file, args, o) =>
      args.length === 1 ? Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }) : m.runner(file, args, o);
    const failure = await ensurePreflight('/var/tmp/lab', 'auto', { runner: stubborn, machine: rootMachine, log: () => {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(PreflightError);
    expect(failure.message).toContain('missing Debian packages: ceph-osd fio');
  });

  it("does the same for the test command's check: installs as root, refuses with the command otherwise", async () => {
    const asRoot = fakeMachine({ installed: false });
    await ensureSystemDeps({ runner: asRoot.runner, machine: rootMachine, log: () => {} });
    expect(asRoot.installs()).toHaveLength(1);
    const asUser = fakeMachine({ installed: false });
    await expect(ensureSystemDeps({ runner: asUser.runner, machine: userMachine, log: () => {} })).rejects.toThrow(
      `the tests need what is missing on this machine (ceph-osd, fio, QEMU >= 9 (found absent), tofu-1.9.4): run as root \`sudo bash ${INSTALL_SCRIPT}\``,
    );
    expect(asUser.installs()).toEqual([]);
  });
});

describe('the real install check', () => {
  // A PATH with every program of /usr/bin and /bin except QEMU and any Terraform CLI.
  const hidden = new Set(['qemu-system-x86_64', 'terraform', 'tofu']);
  const bin = mkdtempSync(join(tmpdir(), 'preflight-path-'));
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin'])
    for (const name of readdirSync(dir))
      if (!hidden.has(name)) {
        try {
          symlinkSync(join(dir, name), join(bin, name));
        } catch {
          // the same name in an earlier folder
        }
      }
  const withoutQemu: Runner = (file, args, o = {}) =>
    execaRunner(file, args, { ...o, env: { ...o.env, PATH: bin, TOFU_BIN_DIR: join(bin, 'none') } });

  it('prints one machine-readable line per missing item, exit code 3', async () => {
    const r = await withoutQemu('bash', [INSTALL_SCRIPT, '--check'], { okExitCodes: [3] });
    expect(r.exitCode).toBe(3);
    const lines = r.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^missing (package|qemu|terraform) [A-Za-z0-9.+-]+$/);
    expect(lines).toContain('missing qemu absent');
    expect(lines).toContain('missing terraform tofu-1.9.4');
  });

  it('names a package that is not installed', async () => {
    // GIVEN a copy of the scripts whose package list has one package no machine has
    const scripts = mkdtempSync(join(tmpdir(), 'preflight-scripts-'));
    for (const f of readdirSync(dirname(INSTALL_SCRIPT))) if (f.endsWith('.sh')) copyFileSync(join(dirname(INSTALL_SCRIPT), f), join(scripts, f));
    const script = join(scripts, 'install-system-deps.sh');
    writeFileSync(script, readFileSync(script, 'utf8').replace(/^PKGS=\($/m, 'PKGS=(\n  no-such-package-tb'));
    // WHEN it checks
    const r = await execaRunner('bash', [script, '--check'], { okExitCodes: [3] });
    // THEN that package is missing, in the same form
    expect(r.exitCode).toBe(3);
    expect(r.stdout.split('\n')).toContain('missing package no-such-package-tb');
    expect(parseCheck(r.exitCode, r.stdout).missing).toContainEqual({ kind: 'package', what: 'no-such-package-tb' });
  });

  it('makes the preflight see no QEMU and no Terraform', async () => {
    const facts = await gatherFacts('/var/tmp/lab', withoutQemu, rootMachine);
    expect(facts.qemuVersion).toBeUndefined();
    const v = judgePreflight(facts, 'auto');
    expect(v.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^QEMU: /), expect.stringMatching(/^neither terraform nor tofu/)]));
    expect(v.fix).toBe(`bash ${INSTALL_SCRIPT}`);
  });
});

describe('the runner', () => {
  it('returns an allowed non-zero exit with its output, and rejects any other with the last lines it printed', async () => {
    const r = await execaRunner('bash', ['-c', 'echo missing package fio; exit 3'], { okExitCodes: [3] });
    expect(r).toEqual({ exitCode: 3, stdout: 'missing package fio\n', stderr: '' });
    const failure = await execaRunner('bash', ['-c', 'echo first >&2; echo the reason >&2; exit 4'], { okExitCodes: [3] }).catch((e) => e);
    expect(failure).toBeInstanceOf(ToolFailedError);
    expect(failure.exitCode).toBe(4);
    expect(failure.message).toBe(
      "bash failed (exit code 4): Command failed with exit code 4: bash -c 'echo first >&2; echo the reason >&2; exit 4'\n  | first\n  | the reason",
    );
  });
});

describe("the lab's data at destroy", () => {
  function labDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tb-labdir-'));
    for (const f of ['hosts/controller/etc/x', 'guest/bzImage', 'cache/rootfs/base/bin/sh', 'cache/apt-cache/pool/a.deb']) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), f);
    }
    writeFileSync(join(dir, '.sds-testbed-lab'), 'marker');
    return dir;
  }

  it('keeps only the hosts cache when it is inside lab.dir', () => {
    const dir = labDir();
    expect(removeAllBut(dir, join(dir, 'cache'))).toBe(join(dir, 'cache'));
    expect(readdirSync(dir)).toEqual(['cache']);
    expect(readFileSync(join(dir, 'cache/apt-cache/pool/a.deb'), 'utf8')).toBe('cache/apt-cache/pool/a.deb');
    expect(existsSync(join(dir, 'cache/rootfs/base/bin/sh'))).toBe(true);
  });

  it('keeps the folders leading to a cache deeper inside, and nothing else', () => {
    const dir = labDir();
    removeAllBut(dir, join(dir, 'cache', 'rootfs'));
    expect(readdirSync(dir)).toEqual(['cache']);
    expect(readdirSync(join(dir, 'cache'))).toEqual(['rootfs']);
  });

  it('removes lab.dir whole when the cache is elsewhere, even beside it', () => {
    const dir = labDir();
    expect(removeAllBut(dir, join(tmpdir(), 'elsewhere'))).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    const sibling = labDir();
    expect(removeAllBut(sibling, `${sibling}-cache`)).toBeUndefined();
    expect(existsSync(sibling)).toBe(false);
  });
});
