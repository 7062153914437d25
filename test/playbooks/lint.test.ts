/**
 * The playbooks' CI checks, as tests so `npm test` covers them: `ansible-playbook --syntax-check`
 * on every playbook, `ansible-lint` (production profile, strict; see .ansible-lint) and `yamllint -s`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PLAYBOOKS_DIR } from '../../src/exec/ansible.js';
import { describeWhere } from '../support/requirements.js';

const REPO = path.resolve(PLAYBOOKS_DIR, '..');
const TOOLS = ['ansible-playbook', 'ansible-lint', 'yamllint'];
const missing = TOOLS.filter((t) => spawnSync('which', [t]).status !== 0);
const skipReason = missing.length ? `needs ${missing.join(', ')} (scripts/install-system-deps.sh)` : undefined;

function run(file: string, args: string[], cwd = REPO) {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', ANSIBLE_FORCE_COLOR: '0' } });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

const playbooks = readdirSync(PLAYBOOKS_DIR).filter((f) => f.endsWith('.yml'));

describeWhere(skipReason, "the playbooks' lint and syntax checks", () => {
  test('has the three playbooks', () => {
    expect(playbooks.sort()).toEqual(['reset-pools.yml', 'site.yml', 'teardown.yml']);
  });

  test.each(playbooks)('passes ansible-playbook --syntax-check on %s', (playbook) => {
    // WHEN the playbook is syntax-checked
    const r = run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', playbook], PLAYBOOKS_DIR);
    // THEN it exits 0
    expect(r.status, r.output).toBe(0);
  });

  test('passes ansible-lint with the production profile in strict mode', () => {
    const r = run('ansible-lint', ['--offline', 'playbooks']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/Passed with production profile/);
  }, 180_000);

  test('passes yamllint in strict mode', () => {
    const r = run('yamllint', ['-s', 'playbooks', '.yamllint', '.ansible-lint']);
    expect(r.status, r.output).toBe(0);
  });

  test('fails yamllint on a file with a syntax error (the check can fail)', () => {
    // GIVEN a broken YAML document on stdin; WHEN linted with the project's config
    const r = spawnSync('yamllint', ['-c', path.join(REPO, '.yamllint'), '-'], { input: '---\nkey: [unclosed\n', encoding: 'utf8' });
    // THEN yamllint reports it
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/syntax error/);
  });
});

