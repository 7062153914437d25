/**
 * The policy's settings, as the pure core reads them, and their validation.
 *
 * They come from `spec.policy`, `spec.live_migration` and `spec.network` (src/config/schema.ts);
 * `validatePolicy()` re-checks the cross-field rules (descheduler's: 0 ≤ low ≤ high ≤ 100) so that
 * the core never runs on settings built by hand in a test, a benchmark or the simulator that the
 * schema never saw.
 */
import type { TestbedSpec } from '../config/index.js';
import type { PrecopyModel } from './precopy.js';

export type PolicyMode = 'paper' | 'safe' | 'consolidate';
export const POLICY_MODES: readonly PolicyMode[] = ['safe', 'paper', 'consolidate'];

export interface PolicySettings {
  readonly mode: PolicyMode;
  /** State 1 below `low`, state 2 in [low, high], state 3 above `high` (percent). */
  readonly low: number;
  readonly high: number;
  /** HAProxy weights: W1 lets a VM be migrated, W2 holds it (0..256). */
  readonly w1: number;
  readonly w2: number;
  /** β = dirty rate / migration bandwidth; 'auto' measures it per VM. */
  readonly beta: 'auto' | number;
  /** A fixed VMnet limit in MiB instead of memory × β. @default - none */
  readonly vmnetLimitMiB?: number;
  /** safe mode: margin around the thresholds before a VM changes state (percent points). */
  readonly hysteresisPct: number;
  /** safe mode: seconds a VM is left alone after it migrated, failed to, or caused a CREATE. */
  readonly cooldownS: number;
  /** Let state 0 destroy VMs (safe mode: only VMs the job created itself). */
  readonly allowDestroy: boolean;
  /** safe mode: migrations planned per cycle. 0 = none (plan and report only). */
  readonly maxMigrationsPerCycle: number;
  /** safe mode: live migrations in flight per host, in or out. 0 = unlimited (Nova's own meaning). */
  readonly maxConcurrentPerHost: number;
  /** Seconds between samples; VMnet compares traffic over one period. */
  readonly samplePeriodS: number;
  /** Averaging interval t for Rmin and Cmin, seconds. */
  readonly intervalS: number;
  /** Readings older than this are stale: no action for that VM. */
  readonly staleAfterS: number;
  /** Migration bandwidth when a host does not report its own, bytes/s. */
  readonly migrationBytesPerS: number;
  /** Pre-copy stop condition: the remaining dirty memory must fit this downtime, ms. */
  readonly downtimeMs: number;
  /** The pre-copy model that estimates a migration's traffic, time and convergence. @default the textbook model */
  readonly precopy?: PrecopyModel;
}

/** β assumed when a VM's dirty rate is unknown (a busy guest: pre-copy moves about 2× its memory). */
export const UNKNOWN_DIRTY_BETA = 0.5;

const MIB = 1024 * 1024;

/** Builds the core's settings from the validated spec. */
export function policyFromSpec(spec: TestbedSpec, overrides: Partial<PolicySettings> = {}): PolicySettings {
  const p = spec.policy;
  const lm = spec.live_migration;
  const linkBytesPerS = (spec.network.migration_bandwidth_mbit * 1e6) / 8;
  return {
    mode: p.mode,
    low: p.thresholds.low,
    high: p.thresholds.high,
    w1: p.weights.w1,
    w2: p.weights.w2,
    beta: p.vmnet.beta,
    vmnetLimitMiB: p.vmnet.limit_mib,
    hysteresisPct: p.hysteresis_pct,
    cooldownS: p.cooldown_s,
    allowDestroy: p.allow_destroy,
    maxMigrationsPerCycle: p.max_migrations_per_cycle,
    maxConcurrentPerHost: lm.max_concurrent,
    samplePeriodS: p.sample_period_s,
    intervalS: p.interval_s,
    staleAfterS: 3 * p.sample_period_s,
    migrationBytesPerS: lm.bandwidth_mib > 0 ? Math.min(lm.bandwidth_mib * MIB, linkBytesPerS) : linkBytesPerS,
    downtimeMs: lm.downtime_ms,
    ...overrides,
  };
}

/** Settings that break a rule: every problem is listed, each with the value and what is allowed. */
export class PolicyError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: readonly string[]) {
    super(`invalid policy settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

interface Rule {
  readonly ok: (p: PolicySettings) => boolean;
  readonly message: (p: PolicySettings) => string;
}

const isPct = (v: number): boolean => Number.isFinite(v) && v >= 0 && v <= 100;

const RULES: readonly Rule[] = [
  {
    ok: (p) => POLICY_MODES.includes(p.mode),
    message: (p) => `policy.mode is ${JSON.stringify(p.mode)}; allowed: ${POLICY_MODES.map((m) => `"${m}"`).join(', ')}`,
  },
  { ok: (p) => isPct(p.low), message: (p) => `policy.thresholds.low is ${p.low}; allowed: 0..100` },
  { ok: (p) => isPct(p.high), message: (p) => `policy.thresholds.high is ${p.high}; allowed: 0..100` },
  {
    ok: (p) => !(isPct(p.low) && isPct(p.high)) || p.low <= p.high,
    message: (p) =>
      `policy.thresholds.low (${p.low}) is greater than policy.thresholds.high (${p.high}); allowed: 0 <= low <= high <= 100; lower low or raise high`,
  },
  { ok: (p) => Number.isInteger(p.w1) && p.w1 >= 0 && p.w1 <= 256, message: (p) => `policy.weights.w1 is ${p.w1}; allowed: an integer 0..256` },
  { ok: (p) => Number.isInteger(p.w2) && p.w2 >= 0 && p.w2 <= 256, message: (p) => `policy.weights.w2 is ${p.w2}; allowed: an integer 0..256` },
  {
    ok: (p) => p.beta === 'auto' || (Number.isFinite(p.beta) && p.beta >= 0),
    message: (p) => `policy.vmnet.beta is ${JSON.stringify(p.beta)}; allowed: "auto" or a number >= 0`,
  },
  { ok: (p) => p.vmnetLimitMiB === undefined || p.vmnetLimitMiB >= 0, message: (p) => `policy.vmnet.limit_mib is ${p.vmnetLimitMiB}; allowed: >= 0` },
  { ok: (p) => isPct(p.hysteresisPct), message: (p) => `policy.hysteresis_pct is ${p.hysteresisPct}; allowed: 0..100` },
  { ok: (p) => p.cooldownS >= 0, message: (p) => `policy.cooldown_s is ${p.cooldownS}; allowed: >= 0` },
  {
    ok: (p) => Number.isInteger(p.maxMigrationsPerCycle) && p.maxMigrationsPerCycle >= 0,
    message: (p) => `policy.max_migrations_per_cycle is ${p.maxMigrationsPerCycle}; allowed: an integer >= 0`,
  },
  {
    ok: (p) => Number.isInteger(p.maxConcurrentPerHost) && p.maxConcurrentPerHost >= 0,
    message: (p) => `live_migration.max_concurrent is ${p.maxConcurrentPerHost}; allowed: an integer >= 0`,
  },
  { ok: (p) => p.samplePeriodS > 0, message: (p) => `policy.sample_period_s is ${p.samplePeriodS}; allowed: > 0` },
  { ok: (p) => p.intervalS > 0, message: (p) => `policy.interval_s is ${p.intervalS}; allowed: > 0` },
  { ok: (p) => p.staleAfterS > 0, message: (p) => `staleAfterS is ${p.staleAfterS}; allowed: > 0` },
  { ok: (p) => p.migrationBytesPerS > 0, message: (p) => `the migration bandwidth is ${p.migrationBytesPerS} bytes/s; allowed: > 0` },
  { ok: (p) => p.downtimeMs > 0, message: (p) => `live_migration.downtime_ms is ${p.downtimeMs}; allowed: > 0` },
];

/** Throws a `PolicyError` listing every broken rule; returns the settings unchanged otherwise. */
export function validatePolicy(p: PolicySettings): PolicySettings {
  const problems = RULES.filter((r) => !r.ok(p)).map((r) => r.message(p));
  if (problems.length > 0) throw new PolicyError(problems);
  return p;
}
