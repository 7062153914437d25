/**
 * What Nova's libvirt driver does to a running live migration, as pure functions of the nova.conf
 * values (testbed.yaml's `live_migration`) and the elapsed time, so that the lab's QMP driver can do
 * the same and a test can hold it against Nova's own formula. No clock here: the caller passes time.
 *
 * From nova/virt/libvirt/migration.py and driver.py (`_live_migration_monitor`, every 0.5 s):
 * - `downtime_steps(data_gb)`: delay = int(live_migration_downtime_delay × data_gb);
 *   base = downtime ÷ steps; offset = (downtime − base) ÷ steps; step i (0..steps) is
 *   (int(delay × i) s, int(base + offset × i) ms).
 * - `update_downtime`: the step in force is the last one whose time the elapsed time has passed
 *   (elapsed > time); the limit is set only when it changes.
 * - `_live_migration_data_gb`: max(RAM GiB, 2) plus, for block migration only, max(disk GiB, 2) per
 *   copied disk (none here: the disks are shared RBD images).
 * - completion timeout = int(live_migration_completion_timeout × data_gb) s (0: never);
 *   `should_trigger_timeout_action`: elapsed > timeout and not already in post-copy.
 * - live_migration_timeout_action `abort` aborts the job; `force_complete` switches to post-copy
 *   when post-copy is permitted, else pauses the guest (and unpauses it if the migration fails).
 * - auto-converge is used only when permitted and post-copy is not (`_handle_live_migration_auto_converge`).
 */
import type { TestbedSpec } from '../config/index.js';

export type NovaMigrationSettings = Pick<
  TestbedSpec['live_migration'],
  'downtime_ms' | 'downtime_steps' | 'downtime_delay_s' | 'completion_timeout_s' | 'timeout_action' | 'permit_post_copy' | 'permit_auto_converge'
>;

export interface DowntimeStep {
  /** Seconds after the start of the migration from which the step applies (once elapsed exceeds it). */
  readonly at_s: number;
  /** The downtime limit of the step, ms. */
  readonly downtime_ms: number;
}

/** Nova's data_gb: the guest's RAM in GiB, at least 2, plus max(size, 2) GiB per block-migrated disk. */
export function migrationDataGb(ramMib: number, blockMigratedDiskGib: readonly number[] = []): number {
  const ram = Math.max(ramMib / 1024, 2);
  return ram + blockMigratedDiskGib.reduce((sum, d) => sum + Math.max(d, 2), 0);
}

/** Nova's `downtime_steps(data_gb)`, step for step (same floating-point operations, Python's int() as trunc). */
export function downtimeSteps(s: Pick<NovaMigrationSettings, 'downtime_ms' | 'downtime_steps' | 'downtime_delay_s'>, dataGb: number): DowntimeStep[] {
  const delay = Math.trunc(s.downtime_delay_s * dataGb);
  const base = s.downtime_ms / s.downtime_steps;
  const offset = (s.downtime_ms - base) / s.downtime_steps;
  return Array.from({ length: s.downtime_steps + 1 }, (_, i) => ({ at_s: Math.trunc(delay * i), downtime_ms: Math.trunc(base + offset * i) }));
}

/** Nova's `update_downtime` choice: the last step whose time `elapsedS` has passed; undefined before the first. */
export function downtimeAt(steps: readonly DowntimeStep[], elapsedS: number): DowntimeStep | undefined {
  let current: DowntimeStep | undefined;
  for (const step of steps) if (elapsedS > step.at_s) current = step;
  return current;
}

/** Nova's completion timeout in seconds: int(completion_timeout × data_gb); 0 means none. */
export function completionTimeoutS(s: Pick<NovaMigrationSettings, 'completion_timeout_s'>, dataGb: number): number {
  return Math.trunc(s.completion_timeout_s * dataGb);
}

/** Nova's `should_trigger_timeout_action`. */
export function shouldTriggerTimeoutAction(elapsedS: number, timeoutS: number, inPostcopy: boolean): boolean {
  return timeoutS > 0 && !inPostcopy && elapsedS > timeoutS;
}

/** The migration capabilities Nova's flags amount to: post-copy when permitted; auto-converge only without post-copy. */
export function migrationCapabilities(s: Pick<NovaMigrationSettings, 'permit_post_copy' | 'permit_auto_converge'>): {
  readonly postcopy: boolean;
  readonly autoConverge: boolean;
} {
  return { postcopy: s.permit_post_copy, autoConverge: s.permit_auto_converge && !s.permit_post_copy };
}

/** What the timeout does: abort the job, switch to post-copy, or pause the guest so that pre-copy finishes. */
export function timeoutActionOf(s: Pick<NovaMigrationSettings, 'timeout_action' | 'permit_post_copy'>): 'abort' | 'postcopy' | 'pause' {
  if (s.timeout_action === 'abort') return 'abort';
  return s.permit_post_copy ? 'postcopy' : 'pause';
}

/** The whole plan for one guest: what a reader needs to know what the hypervisor was told, and when. */
export interface NovaMigrationPlan {
  readonly data_gb: number;
  readonly downtime_steps: readonly DowntimeStep[];
  /** 0: no timeout. */
  readonly completion_timeout_s: number;
  readonly timeout_action: 'abort' | 'postcopy' | 'pause';
  readonly capabilities: { readonly 'auto-converge': boolean; readonly 'postcopy-ram': boolean };
}

export function novaMigrationPlan(s: NovaMigrationSettings, ramMib: number): NovaMigrationPlan {
  const dataGb = migrationDataGb(ramMib);
  const caps = migrationCapabilities(s);
  return {
    data_gb: dataGb,
    downtime_steps: downtimeSteps(s, dataGb),
    completion_timeout_s: completionTimeoutS(s, dataGb),
    timeout_action: timeoutActionOf(s),
    capabilities: { 'auto-converge': caps.autoConverge, 'postcopy-ram': caps.postcopy },
  };
}

/** One thing the driver did to the running migration, at `at_ms` after `migrate` was issued. */
export interface ScheduleEvent {
  readonly at_ms: number;
  readonly action: 'downtime-limit' | 'abort' | 'postcopy' | 'pause';
  /** For downtime-limit: the new limit, ms. */
  readonly value?: number;
}

/** `0s:50ms 150.2s:95ms 1600.1s:abort`: a schedule as one CSV-friendly cell. */
export function scheduleText(events: readonly ScheduleEvent[]): string {
  return events
    .map((e) => `${(e.at_ms / 1000).toFixed(1).replace(/\.0$/, '')}s:${e.action === 'downtime-limit' ? `${e.value}ms` : e.action}`)
    .join(' ');
}
