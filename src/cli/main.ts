/**
 * Entry point of the `testbed` CLI: picks the subcommand by its longest matching name, runs it,
 * and is the one place that turns errors into what the user sees (`reportError`): a user error
 * (bad spec, bad arguments, bad input file, missing credentials, ...) is a plain message and exit
 * code 2; a tool or lab phase that failed is its message and exit code 1; anything else is a bug,
 * printed with its stack, exit code 1.
 */
import { PlaybookFailedError, ToolFailedError } from '../exec/index.js';
import { LabPhaseError } from '../targets/index.js';
import { UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';

/** The command whose name is the longest prefix of argv. Refuses a list in which two commands share a name. */
export function findCommand(argv: readonly string[], list: readonly Command[] = commands): { command: Command; rest: readonly string[] } | undefined {
  const seen = new Set<string>();
  for (const c of list) {
    const key = c.name.join(' ');
    if (seen.has(key)) throw new Error(`two commands are named "testbed ${key}": give each command its own name (src/cli/commands/index.ts)`);
    seen.add(key);
  }
  let best: { command: Command; rest: readonly string[] } | undefined;
  for (const command of list) {
    const n = command.name.length;
    if (argv.length >= n && command.name.every((w, i) => argv[i] === w) && (!best || n > best.command.name.length)) {
      best = { command, rest: argv.slice(n) };
    }
  }
  return best;
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.join(' ').length));
  return [
    'testbed: provisioner for live-migration research on software-defined storage',
    '',
    'usage: testbed <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Every command reads testbed.yaml (or --spec FILE, or TESTBED_SPEC).',
  ].join('\n');
}

export interface ErrorReport {
  readonly exitCode: 1 | 2;
  readonly message: string;
  /** Print the command's usage after the message (a mistake in the arguments). */
  readonly usage: boolean;
}

/**
 * What an error means to the user; undefined for an internal error (a bug: print its stack).
 * A user error is any error that says so by carrying `exitCode: 2` and its own name (SpecError,
 * MatrixError, TfOutputsError, OpenStackConfigError, PreflightError, ...), except a failed tool's
 * error, whose exitCode is the tool's.
 */
export function reportError(err: unknown): ErrorReport | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    return { exitCode: 2, message: err.message, usage: true };
  if (err instanceof ToolFailedError || err instanceof PlaybookFailedError) return { exitCode: 1, message: err.message, usage: false };
  const { exitCode } = err as { exitCode?: unknown };
  if (exitCode === 2 && err.name && err.name !== 'Error') return { exitCode: 2, message: err.message, usage: false };
  if (err instanceof LabPhaseError) return { exitCode: 1, message: err.message, usage: false };
  return undefined;
}

export async function main(
  argv: readonly string[],
  io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) },
  list: readonly Command[] = commands,
): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(help());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv, list);
  if (!found) {
    io.err(`testbed: unknown command "${argv.join(' ')}"\n\n${help()}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    io.out(`usage: ${found.command.usage}\n\n${found.command.summary}`);
    return 0;
  }
  try {
    return (await found.command.run({ argv: found.rest, ...io })) ?? 0;
  } catch (err) {
    const report = reportError(err);
    if (!report) throw err;
    io.err(report.message);
    if (report.usage) io.err(`usage: ${found.command.usage}`);
    return report.exitCode;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
