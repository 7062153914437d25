/**
 * Every user error of the real CLI (`node bin/testbed.mjs ...`, a child process) exits with code 2
 * and a message that names what was wrong, the value and what is allowed, and prints no stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from '../../src/cli/command.js';
import { findCommand, main, reportError } from '../../src/cli/main.js';
import { ToolFailedError } from '../../src/exec/runner.js';
import { INSTALL_SCRIPT } from '../../src/targets/lab/phases/preflight.js';

const STACK_LINE = /^ {4}at /m;

function testbed(args: string[], o: { env?: Record<string, string | undefined>; cwd?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [resolve('bin/testbed.mjs'), ...args], {
      cwd: o.cwd ?? process.cwd(),
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cli-errors-'));
const labDir = join(dir, 'lab');
const labSpec = join(dir, 'lab.yaml');
writeFileSync(labSpec, `lab:\n  dir: ${labDir}\n`);
const bomb = join(dir, 'bomb.yaml');
writeFileSync(
  bomb,
  ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`)].join(
    '\n',
  ),
);
// Where no credentials are found: an empty home and working folder, no OS_* variables.
const noCreds = { HOME: join(dir, 'home'), OS_CLOUD: undefined, OS_AUTH_URL: undefined, OS_USERNAME: undefined, OS_PASSWORD: undefined };
mkdirSync(noCreds.HOME);
const out = join(dir, 'results');

// A Keystone on 127.0.0.1 that refuses every password, as Keystone does: 401 with its JSON error body.
let keystone: Server;
let clouds: string;
beforeAll(async () => {
  keystone = createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Keystone uri="http://127.0.0.1/v3"' });
    res.end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }));
  });
  await new Promise<void>((r) => keystone.listen(0, '127.0.0.1', r));
  const { port } = keystone.address() as AddressInfo;
  clouds = join(dir, 'clouds.yaml');
  writeFileSync(
    clouds,
    `clouds:\n  testbed:\n    auth:\n      auth_url: http://127.0.0.1:${port}/v3\n      username: admin\n      password: not-the-password-7f3a\n      project_name: admin\n`,
  );
});
afterAll(() => {
  keystone.close();
  rmSync(dir, { recursive: true, force: true });
});

interface BadInvocation {
  readonly what: string;
  readonly args: () => string[];
  readonly env?: () => Record<string, string | undefined>;
  readonly message: RegExp;
}

const table: BadInvocation[] = [
  {
    what: 'a YAML alias bomb in the spec',
    args: () => ['validate', '--spec', bomb],
    message: /bomb\.yaml: \(top level\): YAML aliases expand too far \(Excessive alias count.*\); got nothing; allowed: anchors and aliases/,
  },
  {
    what: 'experiment run --target cloud without credentials',
    args: () => ['experiment', 'run', '--target', 'cloud', '--reps', '1', '--out', out, '--spec', labSpec],
    env: () => noCreds,
    message: /no clouds\.yaml found \(looked in .*\) and OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME not set; allowed: a clouds\.yaml/,
  },
  {
    what: 'experiment run --lb-url that is not a URL',
    args: () => ['experiment', 'run', '--target', 'cloud', '--lb-url', 'nonsense', '--out', out],
    message:
      /--lb-url: probe target "nonsense" is not a URL; allowed: http:\/\/HOST\[:PORT\]\/PATH or tcp:\/\/HOST:PORT\nusage: testbed experiment run/,
  },
  {
    what: 'phase --tf-outputs-env holding bad JSON',
    args: () => ['phase', 'ceph', '--tf-outputs-env', 'TB_TF_OUTPUTS'],
    env: () => ({ TB_TF_OUTPUTS: '{"testbed_inventory": ' }),
    message: /\$TB_TF_OUTPUTS: 1 problem in the Terraform outputs\n {2}- not JSON \(.*\); allowed: `terraform output -json`/,
  },
  {
    what: 'policy run --target lab with no lab up',
    args: () => ['policy', 'run', '--target', 'lab', '--cycles', '1', '--dry-run', '--spec', labSpec],
    message: /the lab is not up \(its controller container is not running\): run `npx cdktf deploy lab --auto-approve` first/,
  },
  {
    what: 'synth --stack of a stack that does not exist',
    args: () => ['synth', '--stack', 'nosuch'],
    message: /--stack: no stack "nosuch"; allowed: testbed, lab \(the stacks of stacks\/main\.ts\)\nusage: testbed synth/,
  },
  {
    what: 'policy plan against a cloud that refuses the password',
    args: () => ['policy', 'plan', '--target', 'nova', '--clouds', clouds, '--gap-s', '0.1'],
    // The message is src/policy/openstack-auth.ts's: it names the source and the user, never the password.
    message: /HTTP 401: Keystone refused the credentials from .*clouds\.yaml \(cloud testbed\) \(user "admin", project "admin"/,
  },
  {
    what: 'start --reps 0, before anything is deployed',
    args: () => ['start', '--reps', '0', '--out', out],
    message: /^--reps: "0" is not allowed; allowed: a whole number ≥ 1 \(20 is the study's count\)\nusage: testbed start/,
  },
  {
    what: 'start --fio-runtime-s that is not a number',
    args: () => ['start', '--fio-runtime-s', '6s', '--out', out],
    message: /^--fio-runtime-s: "6s" is not allowed; allowed: a whole number of seconds ≥ 1 for each measured fio job/,
  },
  {
    what: 'start --pools naming no pool of the spec',
    args: () => ['start', '--pools', 'ssd', '--out', out],
    message: /^--pools: unknown "ssd"; allowed: filestore, bluestore/,
  },
  {
    what: 'policy calibrate of a folder that is not a run',
    args: () => ['policy', 'calibrate', '--results', join(dir, 'no-run')],
    message: /no-run\/results\.json: not found; expected a run folder made by `testbed experiment run`/,
  },
  {
    what: 'policy simulate --precopy naming a file that is not there',
    args: () => ['policy', 'simulate', '--trace', 'test/fixtures/results-small/migrations.csv', '--precopy', join(dir, 'none.json')],
    message:
      /^--precopy: .*none\.json: not found; expected a calibration file written by `testbed policy calibrate --out FILE`; allowed: textbook, fitted/,
  },
  {
    what: 'an unknown option',
    args: () => ['validate', '--frob'],
    message: /Unknown option '--frob'[\s\S]*usage: testbed validate/,
  },
];

describe('the CLI on bad invocations', () => {
  it.each(table)('exits 2 with a clear message and no stack trace: $what', async ({ args, env, message }) => {
    const r = await testbed(args(), { env: env?.() });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toContain('not-the-password-7f3a');
    expect(r.code).toBe(2);
  });

  it('start refuses a bad option before the preflight or any deploy', async () => {
    const r = await testbed(['start', '--reps', '0', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('==> [1/5');
    expect(readdirSync(dir)).not.toContain('results');
  });

  it('exits 2 with what to do when the preflight cannot install what is missing', async () => {
    // GIVEN a PATH without QEMU (so the preflight must install it) and without apt-get (so the install fails)
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin'])
      for (const name of readdirSync(d))
        if (!['qemu-system-x86_64', 'apt-get', 'terraform', 'tofu'].includes(name)) {
          try {
            symlinkSync(join(d, name), join(bin, name));
          } catch {
            // the same name in an earlier folder
          }
        }
    // WHEN the preflight runs
    const r = await testbed(['lab', 'preflight', 'up', '--spec', labSpec], { env: { PATH: bin, TOFU_BIN_DIR: join(bin, 'none') } });
    // THEN it says what failed and what to run, exit code 2, no stack trace
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.code).toBe(2);
    if (process.getuid?.() === 0)
      expect(r.stderr).toContain(`lab preflight: ${INSTALL_SCRIPT} failed with exit code 127 (its output is above): fix what it names`);
    else expect(r.stderr).toContain(`fix with (as root): sudo bash ${INSTALL_SCRIPT}`);
  });
});

describe("the CLI's error reporting", () => {
  it('takes an error that carries exitCode 2 and its own name as a user error', () => {
    class KeystoneRefused extends Error {
      readonly exitCode = 2;
      name = 'OpenStackHttpError';
    }
    expect(reportError(new KeystoneRefused('POST /v3/auth/tokens: HTTP 401'))).toEqual({
      exitCode: 2,
      message: 'POST /v3/auth/tokens: HTTP 401',
      usage: false,
    });
  });

  it("never takes a failed tool's exit code 2 for a user error", () => {
    expect(reportError(new ToolFailedError('ansible-playbook', 2, 'Command failed with exit code 2'))).toMatchObject({ exitCode: 1 });
  });

  it('leaves an internal error to be printed with its stack, exit code 1', async () => {
    const boom: Command = {
      name: ['boom'],
      summary: '',
      usage: 'testbed boom',
      run: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    };
    expect(reportError(new TypeError('x'))).toBeUndefined();
    await expect(main(['boom'], { out: () => {}, err: () => {} }, [boom])).rejects.toThrow(TypeError);
  });
});

describe('finding the command', () => {
  const cmd = (...name: string[]): Command => ({ name, summary: '', usage: '', run: async () => {} });

  it('picks the longest matching name', () => {
    const guest = cmd('lab', 'guest');
    const build = cmd('lab', 'guest', 'build');
    expect(findCommand(['lab', 'guest', 'build', '--spec', 'x'], [guest, build])).toEqual({ command: build, rest: ['--spec', 'x'] });
    expect(findCommand(['lab', 'guest', 'up'], [guest, build])).toEqual({ command: guest, rest: ['up'] });
  });

  it('refuses two commands with the same name', () => {
    expect(() => findCommand(['lab', 'guest'], [cmd('lab', 'guest'), cmd('lab', 'guest')])).toThrow(
      'two commands are named "testbed lab guest": give each command its own name (src/cli/commands/index.ts)',
    );
  });

  it('has no two real commands with the same name', () => {
    expect(() => findCommand([])).not.toThrow();
  });

  it('runs `testbed lab guest build`, not the guest phase', async () => {
    const r = await testbed(['lab', 'guest', 'build', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: testbed lab guest build \[--spec FILE\]/);
    const phase = await testbed(['lab', 'guest', 'sideways']);
    expect(phase.code).toBe(2);
    expect(phase.stderr).toContain('lab guest: got ["sideways"]; allowed: up or down');
  });
});
