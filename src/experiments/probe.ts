/**
 * The client-side downtime probe: a new HTTP request (or TCP connect) every `intervalMs` (≤ 10 ms),
 * each on a fresh connection and not waiting for the previous one, and the longest gap between
 * two successful probes, measured at their completion. While a VM is stopped the requests sent
 * meanwhile stall or fail; the first to succeed after it resumes ends the gap. So the gap is the
 * downtime a client sees, to within one interval plus one round trip.
 *
 * `longestGap` is the pure core; `GapProbe` owns the timer and the sockets.
 */
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ProbeTarget {
  readonly kind: 'http' | 'tcp';
  readonly host: string;
  readonly port: number;
  /** HTTP only. @default '/' */
  readonly path?: string;
}

export interface ProbeOptions {
  /** Milliseconds between probe starts, 1..10. @default 10 */
  readonly intervalMs?: number;
  /** A probe not answered within this is a failure. @default 3000 */
  readonly timeoutMs?: number;
  /** Probes in flight at most; further starts are skipped (counted) until some finish. @default 400 */
  readonly maxInFlight?: number;
}

export interface ProbeResult {
  /** Longest time between two consecutive successful completions, ms; NaN with fewer than 2 successes. */
  readonly longest_gap_ms: number;
  /** When the longest gap began, ms after the probe started. */
  readonly gap_started_ms: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
  readonly duration_ms: number;
  readonly interval_ms: number;
  /** Largest delay of a timer beyond its boundary (a busy event loop makes probes sparser), ms. */
  readonly max_timer_lag_ms: number;
}

/** Longest gap between consecutive success times (any order), with where it starts. */
export function longestGap(successTimes: readonly number[]): { gap: number; startedAt: number } {
  if (successTimes.length < 2) return { gap: Number.NaN, startedAt: Number.NaN };
  const t = [...successTimes].sort((a, b) => a - b);
  let best = { gap: -1, startedAt: Number.NaN };
  for (let i = 1; i < t.length; i++) {
    const g = t[i]! - t[i - 1]!;
    if (g > best.gap) best = { gap: g, startedAt: t[i - 1]! };
  }
  return best;
}

export function parseProbeUrl(url: string): ProbeTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`probe target "${url}" is not a URL; allowed: http://HOST[:PORT]/PATH or tcp://HOST:PORT`);
  }
  if (u.protocol === 'http:') return { kind: 'http', host: u.hostname, port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
  if (u.protocol === 'tcp:' && u.port) return { kind: 'tcp', host: u.hostname, port: Number(u.port) };
  throw new Error(`probe target "${url}" has an unsupported form; allowed: http://HOST[:PORT]/PATH or tcp://HOST:PORT`);
}

function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(ok);
      }
    };
    const timer = setTimeout(() => {
      finish(false);
      socketLike.destroy();
    }, timeoutMs);
    let socketLike: { destroy(): void };
    if (target.kind === 'tcp') {
      const s = createConnection({ host: target.host, port: target.port });
      socketLike = s;
      s.on('connect', () => {
        finish(true);
        s.destroy();
      });
      s.on('error', () => finish(false));
    } else {
      const req = request(
        { host: target.host, port: target.port, path: target.path ?? '/', agent: false, headers: { connection: 'close' } },
        (res) => {
          res.resume();
          res.on('end', () => finish((res.statusCode ?? 500) < 400));
          res.on('error', () => finish(false));
        },
      );
      socketLike = req;
      req.on('error', () => finish(false));
      req.end();
    }
  });
}

/** One probe stream against one target. `start()` once, `stop()` once; `stop()` waits for probes in flight. */
export class GapProbe {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  private readonly successes: number[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private sent = 0;
  private failed = 0;
  private skipped = 0;
  private maxLag = 0;
  private t0 = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;

  constructor(
    readonly target: ProbeTarget,
    options: ProbeOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.maxInFlight = options.maxInFlight ?? 400;
    if (!(this.intervalMs >= 1 && this.intervalMs <= 10)) throw new Error(`probe interval ${this.intervalMs} ms is out of range; allowed: 1..10 ms`);
  }

  start(): void {
    if (this.started) throw new Error('GapProbe.start() called twice');
    this.started = true;
    this.t0 = performance.now();
    this.next = this.t0;
    this.tick();
  }

  private tick = (): void => {
    if (this.stopped) return;
    const now = performance.now();
    this.maxLag = Math.max(this.maxLag, now - this.next);
    if (this.inFlight.size >= this.maxInFlight) this.skipped++;
    else {
      this.sent++;
      const p = probeOnce(this.target, this.timeoutMs).then((ok) => {
        if (ok) this.successes.push(performance.now() - this.t0);
        else this.failed++;
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
    // Aim at the next boundary; after a long stall, catch up to now instead of bursting.
    this.next = Math.max(this.next + this.intervalMs, now);
    this.timer = setTimeout(this.tick, Math.max(0, this.next - performance.now()));
  };

  async stop(): Promise<ProbeResult> {
    if (this.stopped) throw new Error('GapProbe.stop() called twice');
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const duration = performance.now() - this.t0;
    await Promise.all([...this.inFlight]);
    const { gap, startedAt } = longestGap(this.successes);
    return {
      longest_gap_ms: gap,
      gap_started_ms: startedAt,
      sent: this.sent,
      ok: this.successes.length,
      failed: this.failed,
      skipped: this.skipped,
      duration_ms: duration,
      interval_ms: this.intervalMs,
      max_timer_lag_ms: this.maxLag,
    };
  }
}
