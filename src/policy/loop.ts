/**
 * The policy job's loop: a self-rescheduling timer (never `setInterval`), backoff with jitter on
 * errors (attempts reset once a cycle succeeds), and an idempotent, graceful `stop()`: a stop during a
 * sleep ends at once, a stop during a cycle waits for that cycle (so no migration is left unwatched).
 * Every step is a typed event, which the CLI logs as one JSON line (graphile/worker's cron loop).
 */

/** Time and randomness, injected so that tests run on a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** 0 <= r < 1, for the jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => Math.random(),
};

export type LoopEvent =
  | { readonly type: 'loop:start'; readonly at: number }
  | { readonly type: 'cycle:start'; readonly at: number; readonly cycle: number }
  | { readonly type: 'cycle:ok'; readonly at: number; readonly cycle: number; readonly ms: number }
  | {
      readonly type: 'cycle:error';
      readonly at: number;
      readonly cycle: number;
      readonly attempt: number;
      readonly error: string;
      readonly retryInMs: number;
    }
  | { readonly type: 'sleep'; readonly at: number; readonly ms: number }
  | { readonly type: 'loop:stop'; readonly at: number; readonly reason: string };

export interface BackoffOptions {
  /** @default 1000 */
  readonly minDelayMs?: number;
  /** @default 300000 */
  readonly maxDelayMs?: number;
  /** @default 2 */
  readonly multiplier?: number;
}

/** Delay before retry `attempt` (1-based): min × multiplier^(attempt-1), capped, times a jitter in [0.5, 1.5). */
export function backoffDelay(attempt: number, random: number, o: BackoffOptions = {}): number {
  const min = o.minDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 300_000;
  const base = Math.min(max, min * (o.multiplier ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random));
}

export interface LoopOptions {
  /** One cycle: sample, decide, act. A throw counts as an error (backoff). */
  readonly cycle: (n: number) => Promise<void>;
  readonly intervalMs: number;
  readonly clock?: Clock;
  readonly backoff?: BackoffOptions;
  /** Receives every event; must not throw (a throwing listener is ignored). */
  readonly onEvent?: (e: LoopEvent) => void;
  /** Stop when this aborts (the CLI wires SIGTERM and SIGINT to it). */
  readonly signal?: AbortSignal;
  /** Stop after this many cycles (tests, `run --once`). @default - forever */
  readonly maxCycles?: number;
}

export interface LoopHandle {
  /** Idempotent. Resolves once the current cycle (if any) finished. */
  stop(reason?: string): Promise<void>;
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;
}

export function startLoop(o: LoopOptions): LoopHandle {
  const clock = o.clock ?? systemClock;
  const emit = (e: LoopEvent): void => {
    try {
      o.onEvent?.(e);
    } catch {
      // A logger must never stop the job.
    }
  };
  let stopped = false;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let attempts = 0;
  let cycle = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const finish = (reason: string): void => {
    emit({ type: 'loop:stop', at: clock.now(), reason });
    resolveDone();
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    emit({ type: 'sleep', at: clock.now(), ms });
    timer = clock.setTimeout(() => {
      timer = undefined;
      running = runOnce().finally(() => (running = undefined));
    }, ms);
  };

  const runOnce = async (): Promise<void> => {
    if (stopped) return;
    cycle += 1;
    const started = clock.now();
    emit({ type: 'cycle:start', at: started, cycle });
    let next: number;
    try {
      await o.cycle(cycle);
      attempts = 0;
      emit({ type: 'cycle:ok', at: clock.now(), cycle, ms: clock.now() - started });
      // Aim at the next boundary: a slow cycle shortens the sleep, never below 0.
      next = Math.max(0, o.intervalMs - (clock.now() - started));
    } catch (err) {
      attempts += 1;
      next = backoffDelay(attempts, clock.random(), o.backoff);
      emit({
        type: 'cycle:error',
        at: clock.now(),
        cycle,
        attempt: attempts,
        error: err instanceof Error ? err.message : String(err),
        retryInMs: next,
      });
    }
    if (stopped) return finish(stopReason);
    if (o.maxCycles !== undefined && cycle >= o.maxCycles) {
      stopped = true;
      return finish('max cycles reached');
    }
    schedule(next);
  };

  let stopReason = 'stopped';
  const stop = async (reason = 'stopped'): Promise<void> => {
    if (stopped) return done;
    stopped = true;
    stopReason = reason;
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
      finish(reason);
    } else if (!running) {
      finish(reason);
    }
    // else: the running cycle calls finish() when it ends.
    return done;
  };

  if (o.signal) {
    if (o.signal.aborted) void stop('signal');
    else o.signal.addEventListener('abort', () => void stop(String(o.signal!.reason ?? 'signal')), { once: true });
  }
  emit({ type: 'loop:start', at: clock.now() });
  if (!stopped) running = runOnce().finally(() => (running = undefined));
  return { stop, done };
}
