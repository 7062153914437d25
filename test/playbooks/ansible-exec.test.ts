import { ansiblePlaybook, ansiblePlaybookArgs, parsePlayRecap, PlaybookFailedError, playbookPath } from '../../src/exec/ansible.js';
import { ToolFailedError, type Runner, type RunOptions } from '../../src/exec/runner.js';

function recordingRunner(result = { exitCode: 0, stdout: '', stderr: '' }) {
  const calls: { file: string; args: readonly string[]; options?: RunOptions }[] = [];
  const runner: Runner = async (file, args, options) => {
    calls.push({ file, args, options });
    return result;
  };
  return { runner, calls };
}

describe('ansiblePlaybook', () => {
  test('builds an argv array with tags, check, diff and JSON extra vars', async () => {
    // GIVEN a fake runner
    const { runner, calls } = recordingRunner();
    // WHEN a Ceph phase runs as a dry run
    await ansiblePlaybook({
      playbook: 'site.yml',
      inventory: '/tmp/out/inventory.yml',
      tags: ['ceph'],
      check: true,
      diff: true,
      extraVars: { ceph_pools_pools: [{ name: 'fs', pg_num: 8 }] },
      runner,
    });
    // THEN the argv is exactly what ansible-playbook needs, with no shell string
    expect(calls).toHaveLength(1);
    expect(calls[0]!.file).toBe('ansible-playbook');
    expect(calls[0]!.args).toEqual([
      '--inventory',
      '/tmp/out/inventory.yml',
      '--tags',
      'ceph',
      '--check',
      '--diff',
      '--extra-vars',
      '{"ceph_pools_pools":[{"name":"fs","pg_num":8}]}',
      playbookPath('site.yml'),
    ]);
    expect(calls[0]!.options?.cwd).toMatch(/playbooks\/?$/);
  });

  test('leaves out every optional flag when none is asked for', () => {
    // GIVEN / WHEN only the playbook and inventory
    const args = ansiblePlaybookArgs({ playbook: '/abs/teardown.yml', inventory: 'inv.yml' });
    // THEN an absolute playbook is kept as is
    expect(args).toEqual(['--inventory', 'inv.yml', '/abs/teardown.yml']);
  });

  test('wraps the command, e.g. to run inside a network namespace', async () => {
    // GIVEN a command prefix
    const { runner, calls } = recordingRunner();
    // WHEN
    await ansiblePlaybook({ playbook: 'site.yml', inventory: 'inv.yml', command: ['ip', 'netns', 'exec', 'tb-controller', 'ansible-playbook'], runner });
    // THEN the prefix comes first
    expect(calls[0]!.file).toBe('ip');
    expect(calls[0]!.args.slice(0, 4)).toEqual(['netns', 'exec', 'tb-controller', 'ansible-playbook']);
  });

  test('fails with PlaybookFailedError naming the playbook, exit code and short message', async () => {
    // GIVEN a runner that fails like execaRunner does
    const runner: Runner = async () => {
      throw new ToolFailedError('ansible-playbook', 2, 'Command failed with exit code 2: ansible-playbook ...');
    };
    // WHEN / THEN
    const run = ansiblePlaybook({ playbook: 'site.yml', inventory: 'inv.yml', runner });
    await expect(run).rejects.toBeInstanceOf(PlaybookFailedError);
    await expect(run).rejects.toThrowErrorMatchingInlineSnapshot(
      `[PlaybookFailedError: Playbook site.yml failed (exit code 2): Command failed with exit code 2: ansible-playbook ...]`,
    );
  });

  test('fails with PlaybookFailedError when a runner returns a non-zero exit code', async () => {
    // GIVEN a runner that reports exit code 4 (unreachable hosts)
    const { runner } = recordingRunner({ exitCode: 4, stdout: '', stderr: 'fatal: host unreachable\n' });
    // WHEN / THEN
    await expect(ansiblePlaybook({ playbook: 'teardown.yml', inventory: 'inv.yml', runner })).rejects.toThrow(
      'Playbook teardown.yml failed (exit code 4): fatal: host unreachable',
    );
  });

  test('fails before running anything when the inventory is empty', () => {
    expect(() => ansiblePlaybookArgs({ playbook: 'site.yml', inventory: '' })).toThrow(/inventory is empty/);
  });
});

describe('parsePlayRecap', () => {
  test('reads the counters of every host from the last PLAY RECAP', () => {
    // GIVEN ansible-playbook output
    const out = [
      'TASK [x] ***',
      'PLAY RECAP *********************************************************************',
      'controller                 : ok=42   changed=0    unreachable=0    failed=0    skipped=7    rescued=0    ignored=1',
      'compute-1                  : ok=3    changed=2    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0',
      '',
    ].join('\n');
    // WHEN
    const recap = parsePlayRecap(out);
    // THEN
    expect(recap.controller).toEqual({ ok: 42, changed: 0, unreachable: 0, failed: 0, skipped: 7, rescued: 0, ignored: 1 });
    expect(recap['compute-1']!.changed).toBe(2);
    expect(recap['compute-1']!.failed).toBe(1);
  });
});
