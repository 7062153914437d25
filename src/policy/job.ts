/**
 * One cycle of the policy job (the imperative shell around `decide()`): sample, build the snapshot,
 * decide, and, unless dry-run, act. Every migration is watched to its end within the cycle (abort on
 * timeout), failures are recorded and put the VM in cooldown, and the job continues.
 */
import { decide } from './decide.js';
import type { ComputeApi, LoadBalancer, MetricsSource, MigrationPlan, MigrationState, PlanAction, VmState } from './interfaces.js';
import type { PolicySettings } from './settings.js';
import { buildSnapshot, CREATED_BY_JOB, SampleWindow } from './snapshot.js';

export type JobEvent =
  | { readonly type: 'plan'; readonly at: number; readonly dryRun: boolean; readonly plan: MigrationPlan }
  | { readonly type: 'warning'; readonly at: number; readonly message: string }
  | { readonly type: 'action:ok'; readonly at: number; readonly action: PlanAction }
  | { readonly type: 'action:failed'; readonly at: number; readonly action: PlanAction; readonly error: string }
  | {
      readonly type: 'migration:end';
      readonly at: number;
      readonly vmId: string;
      readonly from: string;
      readonly to: string;
      readonly state: MigrationState;
      readonly ms: number;
      readonly error?: string;
    };

export interface JobDeps {
  readonly metrics: MetricsSource;
  readonly compute: ComputeApi;
  readonly lb?: LoadBalancer;
  readonly settings: PolicySettings;
  readonly dryRun: boolean;
  readonly emit: (e: JobEvent) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Poll period of a running migration. @default 2000 */
  readonly pollMs?: number;
  /** Abort a migration still running after this long. @default 800 000 (live_migration.completion_timeout_s) */
  readonly migrationTimeoutMs?: number;
}

export class PolicyJob {
  private readonly lastState: Record<string, VmState> = {};
  private readonly cooldownUntil: Record<string, number> = {};
  private readonly window: SampleWindow;
  private readonly migrating = new Set<string>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private created = 0;

  constructor(private readonly d: JobDeps) {
    this.window = new SampleWindow(d.settings.intervalS * 1000);
    this.now = d.now ?? Date.now;
    this.sleep = d.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** One cycle. Throws only when the cluster cannot be read at all (the loop backs off). */
  async cycle(): Promise<MigrationPlan> {
    const d = this.d;
    const [reading, servers, hosts] = await Promise.all([d.metrics.sample(), d.compute.listServers(), d.compute.listHosts()]);
    let lbState;
    let lbReachable = d.lb === undefined;
    if (d.lb) {
      try {
        lbState = await d.lb.readBack();
        lbReachable = true;
      } catch (err) {
        d.emit({ type: 'warning', at: this.now(), message: `load balancer unreachable (${(err as Error).message}): no action that depends on it` });
      }
    }
    this.window.add(reading);
    const now = this.now();
    const { snapshot, warnings } = buildSnapshot({
      now,
      reading,
      servers,
      hosts,
      lb: lbState,
      lbReachable,
      memory: { lastState: { ...this.lastState }, cooldownUntil: { ...this.cooldownUntil } },
      window: this.window,
      migrating: this.migrating,
    });
    for (const message of warnings) d.emit({ type: 'warning', at: now, message });
    const plan = decide(snapshot, d.settings);
    d.emit({ type: 'plan', at: now, dryRun: d.dryRun, plan });
    if (d.dryRun) return plan;
    for (const dec of plan.decisions) if (dec.state !== 'skipped') this.lastState[dec.vmId] = dec.state;
    await this.execute(plan);
    return plan;
  }

  private async execute(plan: MigrationPlan): Promise<void> {
    const d = this.d;
    const ok = (action: PlanAction) => d.emit({ type: 'action:ok', at: this.now(), action });
    const failed = (action: PlanAction, err: unknown) =>
      d.emit({ type: 'action:failed', at: this.now(), action, error: (err as Error)?.message ?? String(err) });
    const migrations: Promise<void>[] = [];
    for (const a of plan.actions) {
      try {
        switch (a.kind) {
          case 'weight':
            if (a.lb && d.lb) await d.lb.setWeight(a.lb, a.weight);
            break;
          case 'migrate':
            migrations.push(this.migrate(a));
            continue;
          case 'create': {
            this.created += 1;
            await d.compute.bootServer({
              name: `${a.likeVmId.slice(0, 40)}-policy-${this.created}`,
              likeServerId: a.likeVmId,
              metadata: { [CREATED_BY_JOB.key]: CREATED_BY_JOB.value },
            });
            this.cooldownUntil[a.likeVmId] = this.now() + d.settings.cooldownS * 1000;
            break;
          }
          case 'drain':
            if (a.lb && d.lb) await d.lb.drain(a.lb);
            break;
          case 'terminate':
            if (a.lb && d.lb) await d.lb.drain(a.lb);
            await d.compute.deleteServer(a.vmId);
            if (a.lb && d.lb) await d.lb.removeServer(a.lb);
            break;
        }
        ok(a);
      } catch (err) {
        failed(a, err);
      }
    }
    // Every migration is watched to its end before the cycle ends (and before a graceful stop).
    await Promise.all(migrations);
  }

  private async migrate(a: Extract<PlanAction, { kind: 'migrate' }>): Promise<void> {
    const d = this.d;
    const start = this.now();
    const timeout = d.migrationTimeoutMs ?? 800_000;
    const end = (state: MigrationState, error?: string): void => {
      this.migrating.delete(a.vmId);
      this.cooldownUntil[a.vmId] = this.now() + d.settings.cooldownS * 1000;
      d.emit({
        type: 'migration:end',
        at: this.now(),
        vmId: a.vmId,
        from: a.from,
        to: a.to,
        state,
        ms: this.now() - start,
        ...(error ? { error } : {}),
      });
    };
    this.migrating.add(a.vmId);
    let handle;
    try {
      handle = await d.compute.liveMigrate(a.vmId, a.to);
    } catch (err) {
      return end('failed', (err as Error).message);
    }
    let aborted = false;
    let errors = 0;
    for (;;) {
      await this.sleep(d.pollMs ?? 2000);
      try {
        const st = await d.compute.pollMigration(handle);
        errors = 0;
        handle = st.handle;
        if (st.state === 'completed' || st.state === 'failed' || st.state === 'aborted')
          return end(aborted && st.state === 'failed' ? 'aborted' : st.state, st.error);
      } catch (err) {
        // Keep watching through transient API errors; give up watching only after many in a row.
        errors += 1;
        if (errors >= 30) return end('failed', `lost track of the migration: ${(err as Error).message}`);
      }
      if (!aborted && this.now() - start > timeout) {
        aborted = true;
        try {
          await d.compute.abortMigration(handle);
        } catch (err) {
          d.emit({
            type: 'warning',
            at: this.now(),
            message: `${a.vmId}: abort after ${timeout} ms failed: ${(err as Error).message}; still watching`,
          });
        }
      }
    }
  }
}
