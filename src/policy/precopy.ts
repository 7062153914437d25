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

/**
 * The `fitted` model: the same rounds, with the physics the lab's migrations show (issue 13 §5,
 * src/policy/precopy-fit.ts fits it, docs/policy.md gives the figures):
 * - the link carries `linkEfficiency` × its nominal rate (QEMU under load, tbf shaping, TCP);
 * - round 0 scans all of memory, but only resident (non-zero) pages go out in full
 *   (4096 + `pageOverheadBytes` bytes each); a zero page costs `zeroPageBytes` on the wire and
 *   `zeroPageUs` of scan time;
 * - a later round resends what the guest dirtied during the previous one, at most its working set
 *   (a guest that rewrites 128 MiB resends at most 128 MiB per round, whatever its rate);
 * - every migration costs `setupMs` of fixed time and `fixedBytes` (device state, markers);
 * - QEMU's dirty-sync count is the number of rounds plus `extraSyncs` (its setup and exact-pending syncs).
 */
export interface FittedPrecopyParams {
  /** Share of the nominal link rate a migration achieves, (0, 1.5]. */
  readonly linkEfficiency: number;
  /** Fixed time of a migration (setup, switchover, final sync), ms. */
  readonly setupMs: number;
  /** Wire bytes per normal page beyond its 4096 bytes. */
  readonly pageOverheadBytes: number;
  /** Wire bytes per zero page. */
  readonly zeroPageBytes: number;
  /** Fixed wire bytes per migration (device state, end-of-section markers). */
  readonly fixedBytes: number;
  /** Scan time per zero page, µs. */
  readonly zeroPageUs: number;
  /** Dirty-bitmap syncs beyond one per round. */
  readonly extraSyncs: number;
}

/** The pre-copy model a caller uses: the textbook one, or the fitted one with its parameters. */
export type PrecopyModel = { readonly kind: 'textbook' } | { readonly kind: 'fitted'; readonly params: FittedPrecopyParams };

export const TEXTBOOK: PrecopyModel = { kind: 'textbook' };

/** What the fitted model takes beyond the textbook's inputs. */
export interface FittedPrecopyInput extends PrecopyInput {
  /** Non-zero memory at the start, bytes. @default memoryBytes (every page in full) */
  readonly residentBytes?: number;
  /** Memory the guest keeps rewriting, bytes: what a round resends at most. @default memoryBytes */
  readonly workingSetBytes?: number;
}

/** The fitted model's estimate, with the page counts and sync count QEMU reports. */
export interface FittedPrecopyEstimate extends PrecopyEstimate {
  /** Pages sent in full (QEMU's ram.normal). */
  readonly normalPages: number;
  /** Zero pages (QEMU's ram.duplicate). */
  readonly zeroPages: number;
  /** Dirty-bitmap syncs (QEMU's ram.dirty-sync-count). */
  readonly iterations: number;
}

const PAGE = 4096;

export function estimateFittedPrecopy(input: FittedPrecopyInput, p: FittedPrecopyParams): FittedPrecopyEstimate {
  const maxRounds = input.maxRounds ?? 30;
  const b = p.linkEfficiency * input.bandwidthBytesPerS;
  const d = input.dirtyBytesPerS;
  const totalPages = Math.ceil(input.memoryBytes / PAGE);
  const residentPages = Math.min(totalPages, Math.ceil((input.residentBytes ?? input.memoryBytes) / PAGE));
  const zeroPages = totalPages - residentPages;
  const ws = Math.min(input.memoryBytes, input.workingSetBytes ?? input.memoryBytes);
  const pageWire = PAGE + p.pageOverheadBytes;
  const stopPages = (b * input.downtimeMs) / 1000 / pageWire;
  // Round 0: every page is scanned; resident pages go out in full, zero pages as a few bytes.
  let traffic = residentPages * pageWire + zeroPages * p.zeroPageBytes;
  let timeS = traffic / b + (zeroPages * p.zeroPageUs) / 1e6;
  let normal = residentPages;
  let rounds = 1;
  // What the guest dirtied during round 0, at most its working set.
  let toSend = Math.min(ws, d * timeS) / PAGE;
  while (rounds < maxRounds && toSend > stopPages) {
    const t = (toSend * pageWire) / b;
    traffic += toSend * pageWire;
    timeS += t;
    normal += toSend;
    rounds += 1;
    toSend = Math.min(ws, d * t) / PAGE;
  }
  // Stop and copy.
  const lastS = (toSend * pageWire) / b;
  traffic += toSend * pageWire + p.fixedBytes;
  normal += toSend;
  timeS += lastS + p.setupMs / 1000;
  return {
    trafficBytes: traffic,
    timeS,
    downtimeMs: lastS * 1000,
    rounds: rounds + 1,
    converges: toSend <= stopPages,
    ratio: d / b,
    normalPages: normal,
    zeroPages,
    iterations: rounds + 1 + p.extraSyncs,
  };
}

/** The estimate of whichever model the caller chose (the textbook one ignores resident memory and working set). */
export function estimateMigration(model: PrecopyModel, input: FittedPrecopyInput): PrecopyEstimate {
  return model.kind === 'fitted' ? estimateFittedPrecopy(input, model.params) : estimatePrecopy(input);
}
