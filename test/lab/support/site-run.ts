/**
 * site.yml on the lab's container hosts, as the host tests run it: the real ansible-playbook over
 * SSH with the site inventory, timed, and with profile_tasks' slowest tasks printed after it.
 */
import { ansiblePlaybook, parsePlayRecap } from '../../../src/exec/ansible.js';
import { spawnRunner } from '../../playbooks/spawn-runner.js';

export interface SiteRunProps {
  readonly inventory: string;
  readonly tags: readonly string[];
  /** Name of this run in the timings and the log. */
  readonly label: string;
  readonly timeoutMs: number;
  /** `--check --diff`. @default false */
  readonly check?: boolean;
  readonly extraVars?: Record<string, unknown>;
  /** Where the run's wall time goes, under `label`. */
  readonly timings: Record<string, number>;
}

export async function runSite(p: SiteRunProps): Promise<{ exitCode: number; stdout: string }> {
  const t0 = Date.now();
  const r = await ansiblePlaybook({
    playbook: 'site.yml',
    inventory: p.inventory,
    tags: [...p.tags],
    check: p.check ?? false,
    diff: p.check ?? false,
    extraVars: p.extraVars,
    inherit: false,
    runner: spawnRunner,
    timeoutMs: p.timeoutMs,
    // profile_tasks (ansible.posix, in Debian's ansible) lists the slowest tasks after the recap.
    env: { ANSIBLE_CALLBACKS_ENABLED: 'ansible.posix.profile_tasks' },
  });
  p.timings[p.label] = Date.now() - t0;
  const slowest = r.stdout
    .split('\n')
    .filter((l) => / -{3,} +\d+\.\d+s$/.test(l))
    .slice(0, 10);
  console.log(`site.yml --tags ${p.tags.join(',')} (${p.label}): ${p.timings[p.label]} ms; slowest tasks:\n  ${slowest.join('\n  ')}`);
  if (r.exitCode !== 0) console.error(r.stdout.split('\n').slice(-80).join('\n'));
  const changed = changedTasks(r.stdout);
  if (changed.length) console.log(`site.yml (${p.label}): changed tasks:\n  ${changed.join('\n  ')}`);
  return r;
}

/** The PLAY RECAP of the given hosts (profile_tasks' lines after it are not hosts). */
export function recapOf(stdout: string, hosts: readonly string[]): ReturnType<typeof parsePlayRecap> {
  return Object.fromEntries(Object.entries(parsePlayRecap(stdout)).filter(([h]) => hosts.includes(h)));
}

/** Each host's failed and unreachable counts in the recap, sorted by host: all zeros when the run went through. */
export function failuresOf(stdout: string, hosts: readonly string[]): { host: string; failed: number; unreachable: number }[] {
  return Object.entries(recapOf(stdout, hosts))
    .map(([host, r]) => ({ host, failed: r.failed, unreachable: r.unreachable }))
    .sort((a, b) => a.host.localeCompare(b.host));
}

/** `TASK [role : name] host` for every task that reported changed, in order. */
export function changedTasks(stdout: string): string[] {
  let task = '';
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const t = /^(?:TASK|RUNNING HANDLER) \[(.*?)\]/.exec(line);
    if (t) task = t[1]!;
    const c = /^changed: \[([^\]]+)\]/.exec(line);
    if (c) out.push(`${task} @ ${c[1]}`);
  }
  return [...new Set(out)];
}
