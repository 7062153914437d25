/**
 * The lab's phases as the LabStack runs them: `testbed lab <phase> up|down`. Each phase is
 * idempotent (up twice is up) and its down undoes only what its up did, so a failed `cdktf deploy
 * lab` can always be cleaned by `cdktf destroy lab` and re-run. Their names, order, descriptions
 * and sources are in ../registry.ts.
 */
import type { TestbedSpec } from '../../../config/index.js';

export interface PhaseContext {
  readonly spec: TestbedSpec;
  /** The spec file, passed on to the CLI calls a phase makes. */
  readonly specFile: string;
  /** Progress lines ("what it is doing"). */
  readonly log: (line: string) => void;
}

/** A phase's implementation (its name and description are its LAB_PHASES entry's). */
export interface LabPhase {
  up(ctx: PhaseContext): Promise<void>;
  down(ctx: PhaseContext): Promise<void>;
}

/** A phase step failed: names the phase and what failed, and says how to clean up. */
export class LabPhaseError extends Error {
  constructor(
    readonly phase: string,
    what: string,
  ) {
    super(
      `lab phase ${phase} failed: ${what}\nThe lab is left as it is: \`npx cdktf destroy lab --auto-approve\` (or \`testbed lab ${phase} down\`) cleans it, and \`npx cdktf deploy lab\` re-runs the phase.`,
    );
    this.name = 'LabPhaseError';
  }
}
