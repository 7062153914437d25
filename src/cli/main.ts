/**
 * Entry point of the `testbed` CLI: picks the subcommand by its longest matching name, runs it,
 * and turns user errors (bad spec, bad arguments) into a plain message and exit code 2.
 */
import { SpecError } from '../config/load.js';
import { UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';

function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  let best: { command: Command; rest: readonly string[] } | undefined;
  for (const command of commands) {
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

function isUserError(err: unknown): err is Error & { exitCode: number } {
  return (
    err instanceof SpecError ||
    err instanceof UsageError ||
    (err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true)
  );
}

export async function main(
  argv: readonly string[],
  io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) },
): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(help());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
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
    if (isUserError(err)) {
      io.err(err.message);
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) io.err(`usage: ${found.command.usage}`);
      return 2;
    }
    throw err;
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
