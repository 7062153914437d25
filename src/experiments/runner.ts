/**
 * Runs the experiment matrix through an `ExperimentExecutor` and records every step in a `RunStore`.
 *
 * - Migrations: per pool × flavor × load cell, boot one VM, then migrate it `reps` times, alternating
 *   between the hosts, with the client-side probe running around each migration.
 * - A failed or non-converging migration (or fio job) is recorded with its reason, never dropped.
 * - Anything else that fails (boot, probe, conditions) or an abort stops the run: what was
 *   recorded stays, `meta.interrupted` says why, and `resume` later runs only what is missing.
 * - Progress (cell, ETA from measured durations, last result) goes to `progress`.
 */
import type { MigrationRecord } from './migration-record.js';
import type { ExperimentExecutor, VmHandle } from './executor.js';
import { parseFioJson } from './fio.js';
import { cellLabel, type Cell, type FioCell, type Matrix, type MigrationCell } from './matrix.js';
import { EtaEstimator, fmtMs, formatDuration, type Step } from './progress.js';
import { failedMigrationRow, fioKey, migrationKey, toMigrationRow, type FioRow, type MigrationRow, type ProbeGaps } from './results.js';
import type { RunStore } from './results-store.js';

export interface RunExperimentProps {
  readonly executor: ExperimentExecutor;
  readonly store: RunStore;
  readonly matrix: Matrix;
  /** Link bandwidth recorded for a migration the executor could not describe (it threw). */
  readonly linkMbit: number;
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export interface RunSummary {
  readonly runId: string;
  readonly migrationsRecorded: number;
  readonly migrationsFailed: number;
  readonly fioRecorded: number;
  readonly skippedAlreadyRecorded: number;
}

/** The run stopped before every cell was recorded; the store keeps what was done. */
export class RunInterruptedError extends Error {
  constructor(
    readonly runId: string,
    readonly reason: string,
    override readonly cause?: unknown,
  ) {
    super(`run ${runId} stopped: ${reason}. What was recorded is kept; continue with: testbed experiment run --resume ${runId}`);
    this.name = 'RunInterruptedError';
  }
}

interface PlannedStep extends Step {
  readonly cell: Cell;
  readonly index: number;
}

/** The reps of a migration cell (1-based) and the repeats of a fio cell that the store does not hold yet. */
export function missingInCell(cell: Cell, done: { migrations: ReadonlySet<string>; fio: ReadonlySet<string> }): number[] {
  const n = cell.kind === 'migration' ? cell.reps : cell.repeats;
  const all = Array.from({ length: n }, (_, i) => i + 1);
  return cell.kind === 'migration'
    ? all.filter((rep) => !done.migrations.has(migrationKey({ ...cell, rep })))
    : all.filter((repeat) => !done.fio.has(fioKey({ ...cell, repeat })));
}

/** The host after `current` in `hosts` (cyclic): migrations alternate between hosts. */
export function nextHost(hosts: readonly string[], current: string): string {
  const i = hosts.indexOf(current);
  return hosts[(i + 1) % hosts.length]!;
}

function describeMigration(row: MigrationRow): string {
  if (row.status !== 'completed') return `${row.status}: ${row.reason ?? 'no reason given'}`;
  const bound = Number.isFinite(row.total_over_bound) ? `, ${row.total_over_bound.toFixed(2)}× bound` : '';
  return (
    `completed ${fmtMs(row.total_ms)} ms, downtime ${fmtMs(row.downtime_ms)} ms QEMU / ${fmtMs(row.downtime_real_ms)} ms real / ` +
    `${fmtMs(row.probe_gap_haproxy_ms)} ms probe${bound}${row.pattern_verified ? '' : ', pattern NOT verified'}`
  );
}

function describeFio(row: FioRow): string {
  return row.status === 'completed'
    ? `${Math.round(row.iops)} IOPS, ${row.mib_s.toFixed(2)} MiB/s, p99 ${row.lat_p99_ms.toFixed(2)} ms`
    : `failed: ${row.reason ?? 'no reason given'}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runExperiment(p: RunExperimentProps): Promise<RunSummary> {
  const { executor, store, matrix } = p;
  const now = p.now ?? (() => new Date());
  const progress = p.progress ?? (() => {});
  const runId = store.runId;
  const existing = store.results();
  const done = {
    migrations: new Set(existing.migrations.map((m) => migrationKey(m))),
    fio: new Set(existing.fio.map((f) => fioKey(f))),
  };

  // Plan every missing step up front: the ETA needs the whole remaining list.
  const steps: PlannedStep[] = [];
  let skipped = 0;
  matrix.cells.forEach((cell, index) => {
    const missing = missingInCell(cell, done);
    skipped += (cell.kind === 'migration' ? cell.reps : cell.repeats) - missing.length;
    if (missing.length === 0) return;
    if (cell.kind === 'migration') {
      steps.push({ kind: `boot ${cell.flavor}`, cell, index });
      for (let i = 0; i < missing.length; i++) steps.push({ kind: `migration ${cell.flavor} ${cell.load}`, cell, index });
    } else for (let i = 0; i < missing.length; i++) steps.push({ kind: `fio ${cell.job}`, cell, index });
  });
  if (skipped > 0) progress(`resume ${runId}: ${skipped} step(s) already recorded are skipped, ${steps.length} to run`);

  const eta = new EtaEstimator();
  let position = 0;
  const summary = { runId, migrationsRecorded: 0, migrationsFailed: 0, fioRecorded: 0, skippedAlreadyRecorded: skipped };
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const r = await fn();
    return [r, performance.now() - t0];
  };
  const stepDone = (ms: number, last: string) => {
    const step = steps[position]!;
    eta.record(step.kind, ms);
    position++;
    const rest = eta.remainingMs(steps.slice(position));
    const cells = matrix.cells.length;
    progress(
      `[cell ${step.index + 1}/${cells} ${cellLabel(step.cell)} · step ${position}/${steps.length}] ETA ${
        rest === undefined ? '?' : formatDuration(rest)
      } · last: ${last}`,
    );
  };
  const checkAbort = () => {
    if (p.signal?.aborted) throw new RunInterruptedError(runId, `interrupted (${String(p.signal.reason ?? 'signal')})`);
  };

  try {
    store.updateMeta({ interrupted: undefined });
    if (steps.length > 0) store.writeConditions(await executor.collectConditions());
    const hosts = steps.some((s) => s.cell.kind === 'migration') ? await executor.hosts() : [];
    if (steps.some((s) => s.cell.kind === 'migration') && hosts.length < 2) {
      throw new RunInterruptedError(
        runId,
        `the executor offers ${hosts.length} compute host(s) (${hosts.join(', ')}); live migration needs at least 2`,
      );
    }
    const prefilled = new Set<string>();
    for (const cell of matrix.cells) {
      const missing = missingInCell(cell, done);
      if (missing.length === 0) continue;
      checkAbort();
      if (cell.kind === 'migration') await runMigrationCell(cell, missing, hosts);
      else await runFioCell(cell, missing, prefilled);
    }
    store.updateMeta({ complete: true });
    return summary;
  } catch (err) {
    const wrapped = err instanceof RunInterruptedError ? err : new RunInterruptedError(runId, errorText(err), err);
    store.updateMeta({ interrupted: wrapped.reason });
    throw wrapped;
  } finally {
    await executor.close?.();
  }

  async function runMigrationCell(cell: MigrationCell, reps: readonly number[], hosts: readonly string[]): Promise<void> {
    const [vm, bootMs] = await timed(() => executor.bootVm(cell.pool, cell.flavor, cell.load));
    stepDone(bootMs, `booted ${vm.id} on ${vm.host} in ${formatDuration(bootMs)}`);
    let host = vm.host;
    try {
      for (const rep of reps) {
        checkAbort();
        const target = nextHost(hosts, host);
        const startedAt = now();
        const t0 = performance.now();
        const session = await executor.startProbe(vm);
        let record: MigrationRecord | undefined;
        let failure: string | undefined;
        try {
          record = await executor.migrate(vm, host, { target, rep });
        } catch (err) {
          failure = errorText(err);
        }
        const gaps: ProbeGaps = await executor.stopProbe(session);
        const row = record
          ? toMigrationRow(runId, { ...record, pool: cell.pool, flavor: cell.flavor, load: cell.load, rep }, gaps, startedAt)
          : {
              ...failedMigrationRow(runId, { ...cell, rep, vm: vm.id, source: host, target, link_mbit: p.linkMbit }, 'failed', failure!, startedAt),
              probe_gap_haproxy_ms: gaps.haproxy_ms,
              probe_gap_direct_ms: gaps.direct_ms,
            };
        store.recordMigration(row, record?.raw ?? { error: failure });
        summary.migrationsRecorded++;
        if (row.status !== 'completed') summary.migrationsFailed++;
        else host = target;
        stepDone(performance.now() - t0, `${migrationKey(row)} ${row.source}→${row.target} ${describeMigration(row)}`);
      }
    } finally {
      await executor.destroyVm({ ...vm, host } satisfies VmHandle);
    }
  }

  async function runFioCell(cell: FioCell, repeats: readonly number[], prefilled: Set<string>): Promise<void> {
    if (!prefilled.has(cell.pool)) {
      progress(`fio: filling the ${cell.pool} image before measuring`);
      await executor.prefillFio(cell.pool);
      prefilled.add(cell.pool);
    }
    for (const repeat of repeats) {
      checkAbort();
      const startedAt = now();
      const t0 = performance.now();
      const base = {
        run_id: runId,
        pool: cell.pool,
        job: cell.job,
        repeat,
        started_at: startedAt.toISOString(),
        raw_file: `raw/fio-${fioKey({ ...cell, repeat })}.json`,
      };
      let raw = '';
      let row: FioRow;
      try {
        raw = await executor.runFio(cell.pool, cell.job, repeat);
        row = { ...base, status: 'completed', ...parseFioJson(raw, cell.job === 'randwrite' ? 'write' : 'read') };
      } catch (err) {
        const nan = Number.NaN;
        row = {
          ...base,
          status: 'failed',
          reason: errorText(err),
          iops: nan,
          mib_s: nan,
          lat_mean_ms: nan,
          lat_p99_ms: nan,
          lat_p9999_ms: nan,
          runtime_s: nan,
        };
      }
      store.recordFio(row, raw || JSON.stringify({ error: row.reason }));
      summary.fioRecorded++;
      stepDone(performance.now() - t0, `fio ${fioKey(row)} ${describeFio(row)}`);
    }
  }
}
