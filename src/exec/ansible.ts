/**
 * `ansible-playbook`, run the project's way: an argv array (never a shell string), the playbook
 * resolved under `playbooks/`, and a failure turned into a `PlaybookFailedError` that names the
 * playbook, the exit code and the short reason (the output itself was already streamed).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaRunner, ToolFailedError, type Runner } from './runner.js';

/** The repository's `playbooks/` folder. */
export const PLAYBOOKS_DIR = fileURLToPath(new URL('../../playbooks/', import.meta.url));

export interface AnsiblePlaybookProps {
  /** A playbook under `playbooks/` (`site.yml`) or an absolute path. */
  readonly playbook: string;
  /** Inventory file (the rendered `inventory.yml`). */
  readonly inventory: string;
  /**
   * Run only these tags (phases), e.g. `['ceph']`.
   * @default - every phase
   */
  readonly tags?: readonly string[];
  /**
   * Skip these tags.
   * @default - none
   */
  readonly skipTags?: readonly string[];
  /**
   * Dry run: `--check`.
   * @default false
   */
  readonly check?: boolean;
  /**
   * Show file changes: `--diff`.
   * @default false
   */
  readonly diff?: boolean;
  /**
   * Extra variables, passed as one JSON `--extra-vars` argument (highest precedence).
   * @default - none
   */
  readonly extraVars?: Readonly<Record<string, unknown>>;
  /**
   * Limit to these hosts or groups: `--limit`.
   * @default - every host in the inventory
   */
  readonly limit?: readonly string[];
  /**
   * Working directory.
   * @default - the playbooks folder
   */
  readonly cwd?: string;
  /**
   * Stream the output to ours (true) or capture it (false).
   * @default true
   */
  readonly inherit?: boolean;
  /**
   * Kill the run after this many milliseconds.
   * @default - no limit
   */
  readonly timeoutMs?: number;
  /** Extra environment (e.g. ANSIBLE_STDOUT_CALLBACK). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Program to run, e.g. to wrap it: `['ip', 'netns', 'exec', 'tb-controller', 'ansible-playbook']`.
   * @default ['ansible-playbook']
   */
  readonly command?: readonly string[];
  /** @default execaRunner */
  readonly runner?: Runner;
}

/** A playbook run failed: names the playbook, the exit code and the short reason. */
export class PlaybookFailedError extends Error {
  constructor(
    readonly playbook: string,
    readonly exitCode: number | undefined,
    readonly shortMessage: string,
  ) {
    super(`Playbook ${playbook} failed${exitCode === undefined ? '' : ` (exit code ${exitCode})`}: ${shortMessage}`);
    this.name = 'PlaybookFailedError';
  }
}

/** Resolves a playbook name against `playbooks/` unless it is already absolute. */
export function playbookPath(playbook: string): string {
  return path.isAbsolute(playbook) ? playbook : path.join(PLAYBOOKS_DIR, playbook);
}

/** The argv (after the program) that `ansiblePlaybook` runs. Pure. */
export function ansiblePlaybookArgs(props: Omit<AnsiblePlaybookProps, 'runner' | 'cwd' | 'inherit' | 'env' | 'command' | 'timeoutMs'>): string[] {
  if (!props.playbook) throw new Error('ansiblePlaybook: playbook is empty; pass a playbook name such as "site.yml"');
  if (!props.inventory) throw new Error('ansiblePlaybook: inventory is empty; pass the rendered inventory.yml');
  const args = ['--inventory', props.inventory];
  if (props.tags?.length) args.push('--tags', props.tags.join(','));
  if (props.skipTags?.length) args.push('--skip-tags', props.skipTags.join(','));
  if (props.limit?.length) args.push('--limit', props.limit.join(','));
  if (props.check) args.push('--check');
  if (props.diff) args.push('--diff');
  if (props.extraVars && Object.keys(props.extraVars).length > 0) args.push('--extra-vars', JSON.stringify(props.extraVars));
  args.push(playbookPath(props.playbook));
  return args;
}

/** Runs `ansible-playbook`; throws `PlaybookFailedError` when it fails. */
export async function ansiblePlaybook(props: AnsiblePlaybookProps) {
  const run = props.runner ?? execaRunner;
  const [file, ...pre] = props.command ?? ['ansible-playbook'];
  const args = [...pre, ...ansiblePlaybookArgs(props)];
  const name = path.basename(props.playbook);
  let result;
  try {
    result = await run(file!, args, {
      cwd: props.cwd ?? PLAYBOOKS_DIR,
      inherit: props.inherit ?? true,
      timeoutMs: props.timeoutMs,
      env: { ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1', ...props.env },
    });
  } catch (err) {
    if (err instanceof ToolFailedError) throw new PlaybookFailedError(name, err.exitCode, err.shortMessage);
    throw err;
  }
  if (result.exitCode !== 0) throw new PlaybookFailedError(name, result.exitCode, lastLine(result.stderr) || lastLine(result.stdout) || 'no output');
  return result;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

/** Per-host counters from a PLAY RECAP. */
export interface PlayRecap {
  readonly ok: number;
  readonly changed: number;
  readonly unreachable: number;
  readonly failed: number;
  readonly skipped: number;
  readonly rescued: number;
  readonly ignored: number;
}

/** Parses the PLAY RECAP of `ansible-playbook`'s default output: host → counters. Pure. */
export function parsePlayRecap(stdout: string): Record<string, PlayRecap> {
  const recap: Record<string, PlayRecap> = {};
  const start = stdout.lastIndexOf('PLAY RECAP');
  if (start < 0) return recap;
  for (const line of stdout.slice(start).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const counts = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]));
    recap[m[1]!] = {
      ok: counts.ok ?? 0,
      changed: counts.changed ?? 0,
      unreachable: counts.unreachable ?? 0,
      failed: counts.failed ?? 0,
      skipped: counts.skipped ?? 0,
      rescued: counts.rescued ?? 0,
      ignored: counts.ignored ?? 0,
    };
  }
  return recap;
}
