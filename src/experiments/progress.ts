/**
 * Progress of a run: which cell, how far, the ETA from durations measured so far, the last result.
 * Pure: the runner feeds it step durations and asks for lines; the CLI prints them on stderr.
 */
export interface Step {
  /** Steps of the same kind take about as long (e.g. `migration small memory`, `fio randwrite`). */
  readonly kind: string;
}

/** Mean measured duration per step kind; unknown kinds borrow the mean of their family (text before the first space), then of all. */
export class EtaEstimator {
  private readonly sums = new Map<string, { total: number; n: number }>();

  record(kind: string, ms: number): void {
    for (const key of [kind, family(kind), '*']) {
      const s = this.sums.get(key) ?? { total: 0, n: 0 };
      this.sums.set(key, { total: s.total + ms, n: s.n + 1 });
    }
  }

  /** Estimated ms for the remaining steps; undefined until anything was measured. */
  remainingMs(remaining: readonly Step[]): number | undefined {
    if (!this.sums.has('*')) return undefined;
    return remaining.reduce((acc, s) => acc + this.meanFor(s.kind), 0);
  }

  private meanFor(kind: string): number {
    const s = this.sums.get(kind) ?? this.sums.get(family(kind)) ?? this.sums.get('*')!;
    return s.total / s.n;
  }
}

function family(kind: string): string {
  return kind.split(' ')[0]!;
}

/** 65_000 → `1m05s`; 3_725_000 → `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `1234.5` → `1235`; NaN → `–`. */
export function fmtMs(v: number): string {
  return Number.isFinite(v) ? `${Math.round(v)}` : '–';
}
