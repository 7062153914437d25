/**
 * How the project runs other programs: argv arrays, never shell strings. Only per-tool helpers
 * (`cdktf`, `ansiblePlaybook`, ...) are exported from this folder; tests pass a fake `Runner`.
 */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Stream the child's output to ours instead of capturing it. */
  readonly inherit?: boolean;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Exit codes besides 0 that are answers, not failures (e.g. 3 from a `--check` that found something missing). */
  readonly okExitCodes?: readonly number[];
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;

/**
 * A tool exited with an error: names the tool, its exit code and the short reason, plus the last
 * lines it printed when its output was captured. `exitCode` is the tool's, not the CLI's.
 */
export class ToolFailedError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | undefined,
    readonly shortMessage: string,
    readonly outputTail = '',
  ) {
    super(`${tool} failed${exitCode === undefined ? '' : ` (exit code ${exitCode})`}: ${shortMessage}${outputTail ? `\n${outputTail}` : ''}`);
    this.name = 'ToolFailedError';
  }
}

/** The last `n` non-empty lines of a tool's output, indented, for an error message. */
export function tail(text: string | undefined, n = 5): string {
  return (text ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .map((l) => `  | ${l}`)
    .join('\n');
}

/** The real runner, on execa. Loaded lazily so that tests with a fake runner never import execa. */
export const execaRunner: Runner = async (file, args, options = {}) => {
  const { execa, ExecaError } = await import('execa');
  if (process.env.TESTBED_DEBUG) console.error(`[exec] ${options.cwd ?? process.cwd()}$ ${[file, ...args].join(' ')}`);
  try {
    const r = await execa(file, [...args], {
      cwd: options.cwd,
      env: { CHECKPOINT_DISABLE: '1', ...options.env },
      stdio: options.inherit ? 'inherit' : 'pipe',
      input: options.input,
      timeout: options.timeoutMs,
      stripFinalNewline: false,
      reject: false,
    });
    const result = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
    if (!r.failed || (r.exitCode !== undefined && !r.timedOut && !r.isCanceled && options.okExitCodes?.includes(r.exitCode))) return result;
    throw new ToolFailedError(file, r.exitCode, r.shortMessage ?? 'failed', tail(result.stderr) || tail(result.stdout));
  } catch (err) {
    if (err instanceof ExecaError) throw new ToolFailedError(file, err.exitCode, err.shortMessage);
    throw err;
  }
};
