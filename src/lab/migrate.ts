/**
 * Live migration of a lab VM between compute namespaces, over the tbf-shaped link:
 * 1. an incoming QEMU in the target namespace (`-incoming defer`, then `migrate-incoming tcp:<target ip>:<port>`);
 * 2. capabilities and parameters from `live_migration` (downtime-limit, auto-converge, postcopy-ram;
 *    max-bandwidth far above the link unless `bandwidth_mib` caps it, so tc decides);
 * 3. `migrate`, then `query-migrate` until it ends (post-copy switch or cancel on the spec's timeout);
 * 4. wait for the destination to be `running`: the source says `completed` before that;
 * 5. real downtime = destination RESUME − source STOP (QMP event timestamps, one host clock);
 * 6. clean up the source (or, on failure, the target) and ask the guest to verify memory and disk.
 * Every outcome becomes a `MigrationRecord`; a failed migration is never dropped.
 */
import type { TestbedSpec } from '../config/schema.js';
import type { MigrationLoad, MigrationRecord, MigrationStatus } from './migration-record.js';
import { QmpClient } from './qmp.js';
import { lastGuestStat, migrationPort, runFiles, startQemu, stopQemu, verifyGuest, type VmPlacement } from './qemu.js';
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
  /** @default true: the guest checks every page and disk block after the migration */
  readonly verify?: boolean;
  /** @default 100 */
  readonly pollMs?: number;
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

/** Seconds before the timeout action, as Nova computes it: completion_timeout_s per GiB of RAM (0: none). */
export function migrationTimeoutMs(settings: LiveMigrationSettings, ramMib: number): number {
  return settings.completion_timeout_s === 0 ? Number.POSITIVE_INFINITY : Math.max(30_000, settings.completion_timeout_s * 1000 * (ramMib / 1024));
}

export function poolOf(vm: VmPlacement): string {
  return vm.disk.kind === 'rbd' ? vm.disk.pool : 'file';
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
  const postcopy = p.settings.permit_post_copy;
  const base = {
    vm: vm.name,
    flavor: vm.flavor,
    pool: poolOf(vm),
    load: p.load ?? (vm.load.wsMib > 0 && vm.load.rateMibS > 0 ? 'memory' : 'none'),
    rep: p.rep ?? 0,
    source: source.name,
    target: target.name,
    link_mbit: p.linkMbit,
  } as const;
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
    raw: q,
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
      { capability: 'auto-converge', state: p.settings.permit_auto_converge },
      { capability: 'postcopy-ram', state: postcopy },
      { capability: 'events', state: true },
    ];
    await dst.execute('migrate-set-capabilities', { capabilities: caps.filter((c) => c.capability !== 'auto-converge') });
    await dst.execute('migrate-incoming', { uri });
    await src.execute('migrate-set-capabilities', { capabilities: caps });
    await src.execute('migrate-set-parameters', {
      'downtime-limit': p.settings.downtime_ms,
      'max-bandwidth': p.settings.bandwidth_mib > 0 ? p.settings.bandwidth_mib * 1048576 : 1e11,
    });
    const srcConsole = vms.console(vm);
    const srcEventsFrom = src.events.length;
    const dstEventsFrom = dst.events.length;
    const t0 = Date.now();
    await src.execute('migrate', { uri });
    const timeoutMs = migrationTimeoutMs(p.settings, vm.ramMib);
    let switchedToPostcopy = false;
    let timedOut = false;
    let cancelRequested = false;
    for (;;) {
      await sleep(p.pollMs ?? 100);
      q = await src.execute<QueryMigrate>('query-migrate');
      if (q.status === 'completed' || q.status === 'failed' || q.status === 'cancelled') break;
      const iterations = q.ram?.['dirty-sync-count'] ?? 0;
      if (postcopy && !switchedToPostcopy && q.status === 'active' && iterations >= 5) {
        // Nova switches to post-copy when pre-copy stops making progress; five passes is that point here.
        log(`migrate ${vm.name}: switching to post-copy after ${iterations} iterations`);
        await src.execute('migrate-start-postcopy');
        switchedToPostcopy = true;
      }
      if (p.signal?.aborted && !cancelRequested) {
        cancelRequested = true;
        await src.execute('migrate_cancel');
      }
      if (!timedOut && Date.now() - t0 > timeoutMs) {
        timedOut = true;
        if (p.settings.timeout_action === 'force_complete' && postcopy && !switchedToPostcopy) {
          await src.execute('migrate-start-postcopy');
          switchedToPostcopy = true;
        } else if (p.settings.timeout_action === 'force_complete') {
          await src.execute('stop'); // Nova's force-complete without post-copy: pause the guest so it converges
        } else {
          log(`migrate ${vm.name}: timeout after ${timeoutMs} ms, cancelling (timeout_action abort)`);
          await src.execute('migrate_cancel');
        }
      }
    }
    const completedAt = Date.now();
    const guest = lastGuestStat(srcConsole.read());
    if (q.status !== 'completed') {
      const reason =
        q.status === 'cancelled' && cancelRequested
          ? 'aborted by the caller'
          : q.status === 'cancelled' && timedOut
            ? `did not complete within ${timeoutMs} ms (timeout_action abort)`
            : (q['error-desc'] ?? `ended ${q.status}`);
      await cleanupTarget();
      const st = await src.execute<{ status: string }>('query-status');
      if (st.status === 'paused' || st.status === 'postmigrate') await src.execute('cont').catch(() => {});
      src.close();
      return failed(q.status === 'cancelled' ? 'cancelled' : 'failed', reason, q, { dirty_rate_guest_mib_s: guest?.dirtyMibS });
    }

    // The source says completed; the destination may still be loading the last pages.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const st = await dst.execute<{ status: string }>('query-status');
      if (st.status === 'running') break;
      if (Date.now() > deadline) {
        await cleanupTarget();
        src.close();
        return failed('failed', `source completed but the destination stayed "${st.status}" for 60 s`, q, {
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

    let verified = false;
    let reason: string | undefined;
    if (p.verify ?? true) {
      const v = await verifyGuest(vms.console(moved)).catch((e: Error) => ({ ok: false, line: e.message }));
      verified = v.ok;
      if (!v.ok) reason = `guest verification failed: ${v.line}`;
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
      pattern_verified: verified,
      raw: q,
    };
    log(
      `migrate ${vm.name}: completed in ${record.total_ms} ms, downtime ${record.downtime_ms} ms (real ${record.downtime_real_ms.toFixed(1)} ms), ` +
        `${(record.transferred_bytes / 1e6).toFixed(1)} MB, ${record.iterations} iterations, verified ${verified}`,
    );
    return record;
  } catch (err) {
    // Something between us and QEMU broke: keep whichever side still runs the guest, record the failure.
    await cleanupTarget().catch(() => {});
    src.close();
    return failed('failed', `migration driver error: ${(err as Error).message}`, q);
  }
}
