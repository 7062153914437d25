/**
 * Pre-copy live-migration cost model (QEMU's algorithm, iterative rounds):
 * round 0 copies all of memory M; each next round copies what was dirtied during the previous one
 * (V_i = V_{i-1} · ρ with ρ = dirty rate / bandwidth); it stops when the rest fits the allowed
 * downtime (V ≤ B · downtime) or after `maxRounds`, then stops the guest and copies the rest.
 *
 * Traffic = Σ V_i, time = traffic / B. The constants (rounds, bandwidth efficiency) are meant to be
 * calibrated later from the lab's measurements (issue 5): pass them in, nothing is hidden here.
 */

export interface PrecopyInput {
  /** Guest memory, bytes. */
  readonly memoryBytes: number;
  /** Dirty rate, bytes/s. */
  readonly dirtyBytesPerS: number;
  /** Migration bandwidth, bytes/s. */
  readonly bandwidthBytesPerS: number;
  /** Maximum downtime, ms. */
  readonly downtimeMs: number;
  /** @default 30 (QEMU gives up converging and throttles/aborts after a comparable number) */
  readonly maxRounds?: number;
}

export interface PrecopyEstimate {
  /** Bytes sent in total, including the stop-and-copy round. */
  readonly trafficBytes: number;
  /** Total migration time, s. */
  readonly timeS: number;
  /** Downtime of the final round, ms. */
  readonly downtimeMs: number;
  readonly rounds: number;
  /** False when the dirty rate keeps up with the link: the last round exceeds the downtime. */
  readonly converges: boolean;
  /** ρ = dirty rate / bandwidth. */
  readonly ratio: number;
}

export function estimatePrecopy(input: PrecopyInput): PrecopyEstimate {
  const { memoryBytes: m, dirtyBytesPerS: d, bandwidthBytesPerS: b, downtimeMs } = input;
  const maxRounds = input.maxRounds ?? 30;
  const ratio = d / b;
  const stopBytes = (b * downtimeMs) / 1000;
  let traffic = 0;
  let toSend = m;
  let rounds = 0;
  while (rounds < maxRounds && toSend > stopBytes) {
    traffic += toSend;
    rounds += 1;
    // What the guest dirtied while this round was on the wire, at most all of memory.
    toSend = Math.min(m, (toSend / b) * d);
  }
  traffic += toSend;
  const finalDowntimeMs = (toSend / b) * 1000;
  return { trafficBytes: traffic, timeS: traffic / b, downtimeMs: finalDowntimeMs, rounds: rounds + 1, converges: toSend <= stopBytes, ratio };
}
