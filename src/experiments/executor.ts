/**
 * What the experiment runner drives: one implementation per target (the lab's QEMU + Ceph, a
 * deployed cloud through Nova), picked by `createExecutor` in src/targets/executors.ts. The runner owns the
 * matrix, the order, the records and the progress; an executor only does one step at a time.
 */
import type { MigrationLoad, MigrationRecord } from './migration-record.js';
import type { Conditions } from './conditions.js';
import type { FioJobKind } from './fio.js';
import type { ProbeGaps } from './results.js';

export type ExperimentTarget = 'lab' | 'cloud';

/** A booted VM. `host` is where it was booted; the runner tracks where it is after each migration. */
export interface VmHandle {
  readonly id: string;
  readonly host: string;
  readonly pool: string;
  readonly flavor: string;
  readonly load: MigrationLoad;
}

export interface MigrateRequest {
  /** Compute host to migrate to (the runner alternates between hosts). */
  readonly target: string;
  /** 1-based repetition inside the cell, copied into the record. */
  readonly rep: number;
}

/** An executor's handle on a running probe; opaque to the runner. */
export type ProbeSession = unknown;

export interface ExperimentExecutor {
  readonly target: ExperimentTarget | 'fake';
  /** Compute hosts that migrations alternate between, in order (at least 2). */
  hosts(): Promise<readonly string[]>;
  /** Boots a VM of `flavor` whose disk is on `pool`; with load `memory` its guest dirties the spec's working set. Resolves once it serves. */
  bootVm(pool: string, flavor: string, load: MigrationLoad): Promise<VmHandle>;
  /**
   * Live-migrates `vm` from `source` (where it runs now) to `request.target` and follows it to the end.
   * A migration that fails or does not converge resolves with status `failed`/`cancelled` and a reason;
   * a throw is recorded as a failed migration with the error's message.
   */
  migrate(vm: VmHandle, source: string, request: MigrateRequest): Promise<MigrationRecord>;
  /** Starts the client-side probes (through the load balancer and straight to the VM) at ≤ 10 ms intervals. */
  startProbe(vm: VmHandle): Promise<ProbeSession>;
  /** Stops them and returns the longest gaps (NaN for a path that was not probed). */
  stopProbe(session: ProbeSession): Promise<ProbeGaps>;
  destroyVm(vm: VmHandle): Promise<void>;
  /** Fills the pool's fio image once (sequential writes), before its first measured job. */
  prefillFio(pool: string): Promise<void>;
  /** Runs one measured fio job (RBD cache off) and returns fio's JSON output, unmodified. */
  runFio(pool: string, job: FioJobKind, repeat: number): Promise<string>;
  collectConditions(): Promise<Conditions>;
  /** Releases what the executor holds (connections). Idempotent. */
  close?(): Promise<void>;
}
