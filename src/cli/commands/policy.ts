/**
 * `testbed policy plan | run | simulate`: the migration-policy job (issue 5, docs/policy.md).
 * Policy errors (bad thresholds, bad recorded metrics, missing credentials) are user errors: exit 2.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import {
  acquireLeaderLock,
  decide,
  formatPlan,
  loadRecordedSnapshot,
  POLICY_MODES,
  policyFromSpec,
  PolicyJob,
  startLoop,
  validatePolicy,
  type JobEvent,
  type LoopEvent,
  type MigrationPlan,
  type PolicyMode,
  type PolicySettings,
} from '../../policy/index.js';
import { createDrivers, POLICY_TARGETS, type PolicyTarget } from '../../targets/index.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { calibrateCommand } from './policy-calibrate.js';
import { compareCommand } from './policy-compare.js';
import { simulateCommand } from './policy-simulate.js';

/** Rethrows the policy's own user errors (they carry exitCode 2) as UsageError, so main prints them plainly. */
export async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && (err as { exitCode?: number }).exitCode === 2 && !(err instanceof UsageError) && err.name !== 'SpecError')
      throw new UsageError(err.message);
    throw err;
  }
}

function pickMode(v: string | undefined): PolicyMode | undefined {
  if (v === undefined) return undefined;
  if (!(POLICY_MODES as readonly string[]).includes(v)) throw new UsageError(`--mode: got ${JSON.stringify(v)}; allowed: ${POLICY_MODES.join(', ')}`);
  return v as PolicyMode;
}

function pickTarget(v: string | undefined): PolicyTarget {
  const t = v ?? 'nova';
  if (!(POLICY_TARGETS as readonly string[]).includes(t))
    throw new UsageError(`--target: got ${JSON.stringify(t)}; allowed: ${POLICY_TARGETS.join(', ')}`);
  return t as PolicyTarget;
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name}: got ${JSON.stringify(v)}; allowed: a number > 0`);
  return n;
}

function settingsFrom(
  ctx: CommandContext,
  specFile: string | undefined,
  mode: string | undefined,
): { settings: PolicySettings; spec: ReturnType<typeof loadSpec>['spec'] } {
  const { spec, file, warnings } = loadSpec(specFile);
  for (const w of warnings) ctx.err(`warning: ${formatProblem(file, w)}`);
  const m = pickMode(mode);
  return { spec, settings: validatePolicy(policyFromSpec(spec, m ? { mode: m } : {})) };
}

const common = {
  spec: { type: 'string' },
  mode: { type: 'string' },
  target: { type: 'string' },
  clouds: { type: 'string' },
  'haproxy-socket': { type: 'string' },
} as const;

const planCommand: Command = {
  name: ['policy', 'plan'],
  summary: 'one decision of the migration policy, from live (Nova, lab) or recorded metrics',
  usage:
    'testbed policy plan [--json] [--metrics FILE] [--mode consolidate|safe|paper] [--target nova|lab] [--clouds FILE] [--haproxy-socket PATH] [--gap-s N] [--spec FILE]',
  run: (ctx) =>
    asUsage(async () => {
      const { values } = parseArgs({
        args: [...ctx.argv],
        options: { ...common, json: { type: 'boolean' }, metrics: { type: 'string' }, 'gap-s': { type: 'string' } },
      });
      const { spec, settings } = settingsFrom(ctx, values.spec, values.mode);
      let plan: MigrationPlan;
      if (values.metrics) {
        plan = decide(loadRecordedSnapshot(values.metrics), settings);
      } else {
        // Live: two samples, `gap` apart (CPU and traffic are deltas), through the job in dry-run.
        const drivers = await createDrivers(pickTarget(values.target), spec, {
          cloudsFile: values.clouds,
          haproxySocket: values['haproxy-socket'],
          log: ctx.err,
        });
        const gapMs = (positive('gap-s', values['gap-s']) ?? Math.min(10, settings.samplePeriodS)) * 1000;
        const warnings: string[] = [];
        const job = new PolicyJob({ ...drivers, settings, dryRun: true, emit: (e) => e.type === 'warning' && warnings.push(e.message) });
        await job.cycle();
        await new Promise((r) => setTimeout(r, gapMs));
        warnings.length = 0;
        const p = await job.cycle();
        plan = { ...p, warnings: [...warnings, ...p.warnings] };
      }
      if (values.json) ctx.out(JSON.stringify(plan, null, 2));
      else for (const line of formatPlan(plan)) ctx.out(line);
    }),
};

const runCommand: Command = {
  name: ['policy', 'run'],
  summary: 'run the migration-policy loop (one leader per lock file); --dry-run only plans',
  usage:
    'testbed policy run [--dry-run] [--mode consolidate|safe|paper] [--target nova|lab] [--clouds FILE] [--haproxy-socket PATH] [--lock FILE] [--cycles N] [--interval-s N] [--spec FILE]',
  run: (ctx) =>
    asUsage(async () => {
      const { values } = parseArgs({
        args: [...ctx.argv],
        options: {
          ...common,
          'dry-run': { type: 'boolean' },
          lock: { type: 'string' },
          cycles: { type: 'string' },
          'interval-s': { type: 'string' },
        },
      });
      const { spec, settings } = settingsFrom(ctx, values.spec, values.mode);
      const cycles = positive('cycles', values.cycles);
      if (cycles !== undefined && !Number.isInteger(cycles)) throw new UsageError(`--cycles: got ${values.cycles}; allowed: an integer > 0`);
      const intervalMs = (positive('interval-s', values['interval-s']) ?? settings.samplePeriodS) * 1000;
      const lockPath = values.lock ?? join(tmpdir(), 'testbed-policy.lock');
      const log = (e: LoopEvent | JobEvent | { type: string; [k: string]: unknown }): void => ctx.out(JSON.stringify(e));

      const lock = acquireLeaderLock(lockPath);
      if (!lock.ok) {
        log({ type: 'leader:denied', at: Date.now(), lock: lock.path, holderPid: lock.holderPid });
        ctx.err(`policy run: another instance (PID ${lock.holderPid}) holds ${lock.path}; this one does not act`);
        return 3;
      }
      const ac = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => ac.abort(sig);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        const drivers = await createDrivers(pickTarget(values.target), spec, {
          cloudsFile: values.clouds,
          haproxySocket: values['haproxy-socket'],
          log: ctx.err,
        });
        log({
          type: 'job:start',
          at: Date.now(),
          pid: process.pid,
          mode: settings.mode,
          dryRun: values['dry-run'] === true,
          drivers: drivers.describe,
          lock: lockPath,
        });
        const job = new PolicyJob({
          ...drivers,
          settings,
          dryRun: values['dry-run'] === true,
          emit: log,
          migrationTimeoutMs: spec.live_migration.completion_timeout_s * 1000 || undefined,
        });
        const loop = startLoop({
          cycle: async () => void (await job.cycle()),
          intervalMs,
          onEvent: log,
          signal: ac.signal,
          ...(cycles ? { maxCycles: cycles } : {}),
        });
        await loop.done;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        lock.lock.release();
      }
    }),
};

export const policyCommands: readonly Command[] = [planCommand, runCommand, simulateCommand, compareCommand, calibrateCommand];
