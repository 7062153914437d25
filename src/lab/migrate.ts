/**
 * Live migration of a lab VM between compute namespaces, over the tbf-shaped link:
 * 1. an incoming QEMU in the target namespace (`-incoming defer`, then `migrate-incoming tcp:<target ip>:<port>`);
 * 2. capabilities and parameters as Nova's libvirt driver sets them from `live_migration` (see
 *    src/experiments/nova-schedule.ts): postcopy-ram when permitted, auto-converge only without post-copy, the first
 *    downtime step as downtime-limit; max-bandwidth far above the link unless `bandwidth_mib` caps it,
 *    so tc decides;
 * 3. `migrate`, then `query-migrate` until it ends, raising the downtime limit step by step and
 *    applying the completion timeout's action (abort, post-copy or pause) on Nova's schedule; every
 *    step is kept, with its time, in the record's `nova_schedule`;
 * 4. wait for the destination to be `running`: the source says `completed` before that;
 * 5. real downtime = destination RESUME − source STOP (QMP event timestamps, one host clock);
 * 6. clean up the source (or, on failure, the target) and ask the guest, now on the destination, to
 *    check every byte of its memory pattern and every block of its disk ring (and, with a disk load,
 *    every block the load wrote);
 * 7. with a disk load, the guest's write throughput and latency `before` (a window just before
 *    `migrate`), `during` and `after` (a window once the destination runs); and, for every migration,
 *    the block side of the switchover from the source's trace events (src/lab/switchover-trace.ts).
 * Every outcome becomes a `MigrationRecord`; a failed migration is never dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import type { TestbedSpec } from '../config/index.js';
import type { MigrationLoad, MigrationRecord, MigrationStatus } from '../experiments/index.js';
import { QmpClient } from './qmp.js';
import {
  completionTimeoutS,
  downtimeAt,
  migrationDataGb,
  novaMigrationPlan,
  shouldTriggerTimeoutAction,
  type NovaMigrationPlan,
  scheduleText,
  type ScheduleEvent,
} from '../experiments/index.js';
import { dirtyRateModes, measureDirtyRate } from './dirty-rate.js';
import { readDiskLoadReport, setDiskLoadPhase, type DiskIoReport } from './guest-disk-load.js';
import {
  lastGuestStat,
  migrationPort,
  runFiles,
  startQemu,
  stopQemu,
  verificationProblem,
  verifyGuest,
  type SerialConsole,
  type VmPlacement,
} from './qemu.js';
import { enableSwitchoverTrace, measureSwitchover, switchoverNotMeasured } from './switchover-trace.js';
import type { LabVms } from './vms.js';

export type LiveMigrationSettings = TestbedSpec['live_migration'];

export interface MigrateProps {
  readonly vms: LabVms;
  readonly name: string;
  readonly target: string;
  readonly settings: LiveMigrationSettings;
  readonly linkMbit: number;
  /** Labels carried into the record. */
  readonly rep?: number;
  readonly load?: MigrationLoad;
  /** @default true: the guest checks its memory pattern and disk ring after the migration */
  readonly verify?: boolean;
  /** @default 100 */
  readonly pollMs?: number;
  /** With a disk load: seconds the guest's writes are measured before `migrate` and after the destination runs. @default 3 */
  readonly diskWindowS?: number;
  /** Window of QEMU's `calc-dirty-rate` on the source just before `migrate`, ms; 0: not measured. @default 1000 */
  readonly dirtyRateCalcMs?: number;
  /** @default - silent */
  readonly log?: (line: string) => void;
  /** Aborting cancels the migration (`migrate_cancel`); it is recorded as cancelled. */
  readonly signal?: AbortSignal;
}

type QueryMigrate = {
  status?: string;
  'total-time'?: number;
  'setup-time'?: number;
  downtime?: number;
  'error-desc'?: string;
  ram?: { transferred?: number; normal?: number; duplicate?: number; 'dirty-sync-count'?: number; 'dirty-pages-rate'?: number; remaining?: number };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds before the timeout action, as Nova computes it: int(completion_timeout_s × data_gb) s; infinite when 0. */
export function migrationTimeoutMs(settings: LiveMigrationSettings, ramMib: number): number {
  const s = completionTimeoutS(settings, migrationDataGb(ramMib));
  return s === 0 ? Number.POSITIVE_INFINITY : s * 1000;
}

/** Nova's plan for this VM (for the conditions and the logs). */
export function migrationPlanFor(settings: LiveMigrationSettings, ramMib: number): NovaMigrationPlan {
  return novaMigrationPlan(settings, ramMib);
}

export function poolOf(vm: VmPlacement): string {
  return vm.disk.kind === 'rbd' ? vm.disk.pool : 'file';
}

function defaultLoad(vm: VmPlacement): MigrationLoad {
  const memory = vm.load.wsMib > 0 && vm.load.rateMibS > 0;
  if (vm.load.diskLoad) return memory ? 'memory+disk' : 'disk';
  return memory ? 'memory' : 'none';
}

/**
 * `calc-dirty-rate` on the source over `calcMs` (0: not measured), and the guest's own STAT report
 * covering the same window (the first one printed after it ends; the guest reports every second).
 */
async function measureBeforeMigration(
  src: QmpClient,
  console_: SerialConsole,
  calcMs: number,
  accel: 'kvm' | 'tcg',
): Promise<Partial<MigrationRecord>> {
  if (calcMs <= 0) return { dirty_rate_calc_problem: 'not measured (dirtyRateCalcMs 0)' };
  const from = console_.size();
  try {
    const m = await measureDirtyRate(src, calcMs, dirtyRateModes(accel));
    const after = console_.size();
    await console_.waitFor(/STAT [^\n]*\n/, after, 1500).catch(() => undefined);
    const guest = lastGuestStat(console_.read(from));
    return {
      dirty_rate_calc_mib_s: m.mib_s,
      dirty_rate_calc_mode: m.mode,
      dirty_rate_calc_ms: m.calc_ms,
      ...(guest ? { dirty_rate_guest_before_mib_s: guest.dirtyMibS } : {}),
    };
  } catch (e) {
    return { dirty_rate_calc_problem: (e as Error).message };
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, from: number): string {
  try {
    return readFileSync(path).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}

export async function migrateVm(p: MigrateProps): Promise<MigrationRecord> {
  const log = p.log ?? (() => {});
  const vms = p.vms;
  const vm = vms.get(p.name);
  const source = vms.host(vm.host);
  const target = vms.host(p.target);
  if (source.name === target.name) throw new Error(`lab: VM "${vm.name}" already runs on ${target.name}`);
  const srcFiles = runFiles(vms.labDir, vm.name, source.name);
  const dstFiles = runFiles(vms.labDir, vm.name, target.name);
  const uri = `tcp:${target.ip}:${migrationPort(vm.index)}`;
  const plan = novaMigrationPlan(p.settings, vm.ramMib);
  const postcopy = plan.capabilities['postcopy-ram'];
  const schedule: ScheduleEvent[] = [];
  const base = {
    vm: vm.name,
    flavor: vm.flavor,
    pool: poolOf(vm),
    load: p.load ?? defaultLoad(vm),
    rep: p.rep ?? 0,
    source: source.name,
    target: target.name,
    link_mbit: p.linkMbit,
  } as const;
  // QEMU's dirty rate before the start, once measured; every record carries it.
  let dirty: Partial<MigrationRecord> = {};
  const failed = (status: MigrationStatus, reason: string, q: QueryMigrate = {}, extra: Partial<MigrationRecord> = {}): MigrationRecord => ({
    ...base,
    status,
    reason,
    total_ms: q['total-time'] ?? 0,
    setup_ms: q['setup-time'] ?? 0,
    downtime_ms: q.downtime ?? 0,
    downtime_real_ms: Number.NaN,
    transferred_bytes: q.ram?.transferred ?? 0,
    normal_pages: q.ram?.normal ?? 0,
    zero_pages: q.ram?.duplicate ?? 0,
    iterations: q.ram?.['dirty-sync-count'] ?? 0,
    dirty_rate_qemu_pages_s: q.ram?.['dirty-pages-rate'],
    pattern_verified: false,
    verified_pages: 0,
    verified_blocks: 0,
    nova_schedule: schedule,
    raw: q,
    ...dirty,
    ...extra,
  });

  log(`migrate ${vm.name}: ${source.name} -> ${target.name} over ${uri}`);
  let dstPid: number;
  try {
    dstPid = await startQemu({ labDir: vms.labDir, topology: vms.topology, host: target, vm, runtime: vms.runtime, image: vm, incoming: true });
  } catch (err) {
    return failed('failed', `incoming QEMU did not start: ${(err as Error).message}`);
  }
  const dst = await QmpClient.connect(dstFiles.qmp);
  const src = await QmpClient.connect(srcFiles.qmp);
  const cleanupTarget = async () => {
    dst.close();
    await stopQemu(vms.labDir, vm.name, target, vm.index, dstPid);
  };
  let q: QueryMigrate = {};
  try {
    const caps = [
      { capability: 'auto-converge', state: plan.capabilities['auto-converge'] },
      { capability: 'postcopy-ram', state: postcopy },
      { capability: 'events', state: true },
    ];
    await dst.execute('migrate-set-capabilities', { capabilities: caps.filter((c) => c.capability !== 'auto-converge') });
    await dst.execute('migrate-incoming', { uri });
    await src.execute('migrate-set-capabilities', { capabilities: caps });
    // Nova sets the first step at its first poll (≤ 0.5 s in); set before the start, QEMU's own 300 ms default never applies.
    let downtimeLimit = plan.downtime_steps[0]!.downtime_ms;
    await src.execute('migrate-set-parameters', {
      'downtime-limit': downtimeLimit,
      'max-bandwidth': p.settings.bandwidth_mib > 0 ? p.settings.bandwidth_mib * 1048576 : 1e11,
    });
    schedule.push({ at_ms: 0, action: 'downtime-limit', value: downtimeLimit });
    const srcConsole = vms.console(vm);
    const diskWindowMs = (p.diskWindowS ?? 3) * 1000;
    const windowStart = Date.now();
    if (vm.load.diskLoad) await setDiskLoadPhase(srcConsole, 'before');
    // QEMU's own dirty rate just before the start, beside the guest's report for the same window.
    dirty = await measureBeforeMigration(src, srcConsole, p.dirtyRateCalcMs ?? 1000, vm.accel);
    if (vm.load.diskLoad) {
      await sleep(Math.max(0, diskWindowMs - (Date.now() - windowStart)));
      await setDiskLoadPhase(srcConsole, 'during');
    }
    const traceFrom = fileSize(srcFiles.log);
    const traceProblem = await enableSwitchoverTrace(src).then(
      () => undefined,
      (e: Error) => `the source QEMU did not enable its trace events: ${e.message}`,
    );
    const srcEventsFrom = src.events.length;
    const dstEventsFrom = dst.events.length;
    const t0 = Date.now();
    await src.execute('migrate', { uri });
    const timeoutS = plan.completion_timeout_s;
    let inPostcopy = false;
    let timedOut = false;
    let pausedByUs = false;
    let cancelRequested = false;
    for (;;) {
      await sleep(p.pollMs ?? 100);
      q = await src.execute<QueryMigrate>('query-migrate');
      if (q.status === 'completed' || q.status === 'failed' || q.status === 'cancelled') break;
      const atMs = Date.now() - t0;
      if (q.status === 'postcopy-active') inPostcopy = true;
      if (p.signal?.aborted && !cancelRequested) {
        cancelRequested = true;
        await src.execute('migrate_cancel');
      }
      if (q.status !== 'active' && q.status !== 'postcopy-active') continue;
      // Nova: the timeout action first, then the downtime step (driver.py _live_migration_monitor).
      if (!timedOut && shouldTriggerTimeoutAction(atMs / 1000, timeoutS, inPostcopy)) {
        timedOut = true;
        schedule.push({ at_ms: atMs, action: plan.timeout_action });
        if (plan.timeout_action === 'postcopy') {
          log(`migrate ${vm.name}: not complete after ${timeoutS} s, switching to post-copy (timeout_action force_complete)`);
          await src.execute('migrate-start-postcopy');
          inPostcopy = true;
        } else if (plan.timeout_action === 'pause') {
          log(`migrate ${vm.name}: not complete after ${timeoutS} s, pausing the guest (timeout_action force_complete)`);
          await src.execute('stop');
          pausedByUs = true;
        } else {
          log(`migrate ${vm.name}: not complete after ${timeoutS} s, cancelling (timeout_action abort)`);
          await src.execute('migrate_cancel');
        }
      }
      const step = downtimeAt(plan.downtime_steps, atMs / 1000);
      if (step && step.downtime_ms !== downtimeLimit) {
        downtimeLimit = step.downtime_ms;
        await src.execute('migrate-set-parameters', { 'downtime-limit': downtimeLimit });
        schedule.push({ at_ms: atMs, action: 'downtime-limit', value: downtimeLimit });
        log(`migrate ${vm.name}: downtime limit ${downtimeLimit} ms after ${(atMs / 1000).toFixed(1)} s`);
      }
    }
    const completedAt = Date.now();
    const guest = lastGuestStat(srcConsole.read());
    if (q.status !== 'completed') {
      const reason =
        q.status === 'cancelled' && cancelRequested
          ? 'aborted by the caller'
          : q.status === 'cancelled' && timedOut
            ? `did not complete within ${timeoutS} s (Nova's completion timeout ${p.settings.completion_timeout_s} s × ${plan.data_gb} GB; timeout_action abort)`
            : (q['error-desc'] ?? `ended ${q.status}`);
      await cleanupTarget();
      const st = await src.execute<{ status: string }>('query-status');
      // Nova's recover task after a pause, and QEMU's own state after a cancelled migration: the guest runs on.
      if (st.status === 'paused' || st.status === 'postmigrate') await src.execute('cont').catch(() => {});
      src.close();
      return failed(q.status === 'cancelled' ? 'cancelled' : 'failed', reason, q, { dirty_rate_guest_mib_s: guest?.dirtyMibS });
    }

    // The source says completed; the destination may still be loading the last pages.
    const deadline = Date.now() + 60_000;
    let contError = '';
    for (;;) {
      const st = await dst.execute<{ status: string }>('query-status');
      if (st.status === 'running') break;
      // A guest paused by the timeout action arrives paused; libvirt resumes it on the destination (no VIR_MIGRATE_PAUSED).
      if (pausedByUs && st.status !== 'inmigrate')
        contError = await dst.execute('cont').then(
          () => '',
          (e: Error) => `; cont: ${e.message}`,
        );
      if (Date.now() > deadline) {
        await cleanupTarget();
        src.close();
        return failed('failed', `source completed but the destination stayed "${st.status}" for 60 s${contError}`, q, {
          dirty_rate_guest_mib_s: guest?.dirtyMibS,
        });
      }
      await sleep(20);
    }
    const stop = src.findEvent('STOP', srcEventsFrom);
    const resume = dst.findEvent('RESUME', dstEventsFrom);
    const downtimeReal = stop && resume ? resume.atMs - stop.atMs : Number.NaN;

    // The VM lives on the target now: record it, then remove the source QEMU.
    const moved: VmPlacement = { ...vm, host: target.name, netns: target.netns, pid: dstPid, startedAt: Date.now() };
    vms.save(moved);
    src.close();
    dst.close();
    await stopQemu(vms.labDir, vm.name, source, vm.index, vm.pid);
    // The source QEMU has quit, so its log holds every trace line.
    const switchover = traceProblem ? switchoverNotMeasured(traceProblem) : measureSwitchover(readFrom(srcFiles.log, traceFrom), downtimeReal);

    let verified = false;
    let reason: string | undefined;
    let diskIo: DiskIoReport | undefined;
    if (vm.load.diskLoad) {
      try {
        const dstConsole = vms.console(moved);
        await setDiskLoadPhase(dstConsole, 'after');
        await sleep(diskWindowMs);
        diskIo = await readDiskLoadReport(dstConsole);
      } catch (e) {
        reason = `guest disk load report: ${(e as Error).message}`;
      }
    }
    let check: { pages: number; blocks: number; loadBlocks?: number; ms: number } = { pages: 0, blocks: 0, ms: Number.NaN };
    if (p.verify ?? true) {
      try {
        const v = await verifyGuest(vms.console(moved));
        verified = v.ok;
        check = { pages: v.memPages, blocks: v.diskBlocks, ...(v.loadBlocks !== undefined ? { loadBlocks: v.loadBlocks } : {}), ms: v.wallMs };
        if (!v.ok) reason = `guest verification failed: ${verificationProblem(v)}`;
      } catch (e) {
        reason = `guest verification failed: ${(e as Error).message}`;
      }
    }
    const record: MigrationRecord = {
      ...base,
      status: 'completed',
      ...(reason ? { reason } : {}),
      // QEMU 7.2 sometimes reports total-time 0 for a completed migration: fall back to our own clock.
      total_ms: q['total-time'] || completedAt - t0,
      setup_ms: q['setup-time'] ?? 0,
      downtime_ms: q.downtime ?? Number.NaN,
      downtime_real_ms: Math.round(downtimeReal * 1000) / 1000,
      transferred_bytes: q.ram?.transferred ?? 0,
      normal_pages: q.ram?.normal ?? 0,
      zero_pages: q.ram?.duplicate ?? 0,
      iterations: q.ram?.['dirty-sync-count'] ?? 0,
      dirty_rate_qemu_pages_s: q.ram?.['dirty-pages-rate'],
      dirty_rate_guest_mib_s: guest?.dirtyMibS,
      ...dirty,
      pattern_verified: verified,
      verified_pages: check.pages,
      verified_blocks: check.blocks,
      verify_ms: check.ms,
      ...(check.loadBlocks !== undefined ? { verified_load_blocks: check.loadBlocks } : {}),
      ...(diskIo ? { disk_io: diskIo } : {}),
      switchover,
      nova_schedule: schedule,
      raw: q,
    };
    log(
      `migrate ${vm.name}: completed in ${record.total_ms} ms, downtime ${record.downtime_ms} ms (real ${record.downtime_real_ms.toFixed(1)} ms), ` +
        `${(record.transferred_bytes / 1e6).toFixed(1)} MB, ${record.iterations} iterations, ` +
        `verified ${verified} (${check.pages} pages, ${check.blocks} blocks${check.loadBlocks !== undefined ? `, ${check.loadBlocks} load blocks` : ''} in ${check.ms} ms), ` +
        `switchover: ${switchover.inflight_at_stop ?? '?'} block requests in flight, drain+flush ${switchover.drain_flush_ms ?? '?'} ms, ` +
        `inactivate ${switchover.inactivate_ms ?? '?'} ms${diskIo ? `, writes during ${diskIo.during.iops.toFixed(0)} IOPS p99 ${diskIo.during.lat_p99_ms.toFixed(1)} ms` : ''}, ` +
        `schedule ${scheduleText(schedule)}`,
    );
    return record;
  } catch (err) {
    // Something between us and QEMU broke: keep whichever side still runs the guest, record the failure.
    await cleanupTarget().catch(() => {});
    src.close();
    return failed('failed', `migration driver error: ${(err as Error).message}`, q);
  }
}
