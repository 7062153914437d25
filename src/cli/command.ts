/**
 * The `testbed` CLI's command contract. Each subcommand lives in `src/cli/commands/<name>.ts`
 * and is listed once in `src/cli/commands/index.ts`.
 */
export interface CommandContext {
  /** Arguments after the subcommand's own name(s). */
  readonly argv: readonly string[];
  /** Where normal output goes (tests pass a buffer). */
  readonly out: (line: string) => void;
  /** Where progress and warnings go. */
  readonly err: (line: string) => void;
}

export interface Command {
  /** Words that select the command, e.g. ['policy', 'plan']. */
  readonly name: readonly string[];
  /** One line for `testbed help`. */
  readonly summary: string;
  /** Usage text, printed on --help and on a usage error. */
  readonly usage: string;
  run(ctx: CommandContext): Promise<number | void>;
}

/** A mistake in how the CLI was called or in its input: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
