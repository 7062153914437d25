/** The study's experiments, whatever the target: the matrix, the runner over an `ExperimentExecutor`, the migration records, fio, the probe, the conditions and the results. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './block-io.js';
export * from './conditions.js';
export * from './executor.js';
export * from './fio.js';
export * from './matrix.js';
export * from './migration-record.js';
export * from './nova-schedule.js';
export * from './probe.js';
export * from './progress.js';
export * from './results-store.js';
export * from './results.js';
export * from './runner.js';
