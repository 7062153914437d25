import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import {
  buildMatrix,
  newRunId,
  parseProbeUrl,
  ResultsError,
  runExperiment,
  RunInterruptedError,
  RunStore,
  type ExperimentTarget,
} from '../../experiments/index.js';
import { createExecutor, ExecutorUnavailableError, TARGETS } from '../../targets/index.js';
import { UsageError, type Command } from '../command.js';
import { planRun, runOptionSpecs } from './run-options.js';

export const experimentRunCommand: Command = {
  name: ['experiment', 'run'],
  summary: "run the study's migrations (pool × flavor × load × reps) and fio against the lab or a cloud; results/<run-id>/",
  usage:
    'testbed experiment run [--target lab|cloud] [--pools filestore,bluestore] [--flavors small,...] [--reps N] [--load none,memory,disk,memory+disk] [--no-fio] ' +
    '[--fio-runtime-s N] [--out DIR] [--resume RUN_ID] [--lb-url http://HOST:PORT/] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        target: { type: 'string', default: 'lab' },
        ...runOptionSpecs,
        out: { type: 'string', default: 'results' },
        resume: { type: 'string' },
        'lb-url': { type: 'string' },
        spec: { type: 'string' },
      },
    });
    const target = values.target as ExperimentTarget;
    if (!TARGETS.includes(target)) throw new UsageError(`--target: unknown "${values.target}"; allowed: ${TARGETS.join(', ')}`);
    let lbUrl;
    try {
      lbUrl = values['lb-url'] === undefined ? undefined : parseProbeUrl(values['lb-url']);
    } catch (e) {
      throw new UsageError(`--lb-url: ${(e as Error).message}`);
    }
    const loaded = loadSpec(values.spec);
    for (const w of loaded.warnings) err(`warning: ${formatProblem(loaded.file, w)}`);
    const plan = planRun(loaded.spec, values);
    const { spec } = plan;
    let { matrix } = plan;
    // The executor first: a target that cannot run leaves no empty run folder behind.
    let executor;
    try {
      executor = await createExecutor(target, spec, { lbUrl });
    } catch (e) {
      if (e instanceof ExecutorUnavailableError) {
        err(`testbed experiment run: ${e.message}`);
        return 2;
      }
      throw e;
    }
    const root = resolve(values.out);
    let store: RunStore;
    try {
      store = values.resume
        ? RunStore.open(root, values.resume)
        : RunStore.create(root, {
            run_id: newRunId(),
            target,
            created_at: new Date().toISOString(),
            pool_backends: Object.fromEntries(spec.ceph.pools.map((p) => [p.name, p.backend])),
            matrix: {
              pools: matrix.pools,
              flavors: matrix.flavors,
              loads: matrix.loads,
              reps: matrix.reps,
              fio_repeats: matrix.fioRepeats,
              fio_jobs: matrix.fioJobs,
            },
          });
    } catch (e) {
      if (e instanceof ResultsError) throw new UsageError(e.message);
      throw e;
    }
    if (values.resume) {
      // A resume runs the matrix the run was started with, not today's options.
      const m = store.results().meta.matrix;
      matrix = buildMatrix(spec, { pools: m.pools, flavors: m.flavors, loads: m.loads, reps: m.reps, noFio: m.fio_jobs.length === 0 });
    }
    const migrations = matrix.cells.reduce((n, c) => n + (c.kind === 'migration' ? c.reps : 0), 0);
    err(
      `run ${store.runId} on ${target}: ${matrix.cells.length} cells, ${migrations} migrations, fio ${matrix.fioJobs.join('+') || 'off'} × ${
        matrix.fioRepeats
      } per pool → ${store.dir}`,
    );
    const ctl = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      err(`${sig}: stopping after the current step (press again to force)`);
      ctl.abort(sig);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const s = await runExperiment({ executor, store, matrix, linkMbit: spec.network.migration_bandwidth_mbit, progress: err, signal: ctl.signal });
      out(`results: ${store.dir}`);
      out(
        `migrations recorded: ${s.migrationsRecorded} (${s.migrationsFailed} failed), fio jobs: ${s.fioRecorded}${
          s.skippedAlreadyRecorded ? `, already recorded: ${s.skippedAlreadyRecorded}` : ''
        }`,
      );
      out(`next: testbed report ${store.dir}`);
      return 0;
    } catch (e) {
      if (e instanceof RunInterruptedError) {
        err(e.message);
        return 1;
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
