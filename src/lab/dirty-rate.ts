/**
 * QEMU's own measurement of a VM's memory dirty rate: `calc-dirty-rate`, then `query-dirty-rate`
 * until it says `measured` (QMP, QEMU ≥ 8.2 for `calc-time-unit`). QEMU 10 has three modes:
 * - `dirty-ring` needs KVM's dirty ring (under TCG QEMU refuses it: "mode dirty-ring is not enabled");
 * - `dirty-bitmap` counts the pages the dirty log reports, but QEMU adds to that count only where a
 *   dirty bitmap is synced from KVM (`cpu_physical_memory_set_dirty_lebitmap`), so under TCG it reads
 *   0 whatever the guest does (measured here: 0 MiB/s against the guest's 32 MiB/s);
 * - `page-sampling` hashes `sample-pages` sampled pages per GiB before and after the window and
 *   counts those that changed: it works under TCG; at 4096 per GiB (QEMU's default is 512) a 256 MiB
 *   guest has 1024 sampled pages, so one page stands for 0.1 % of its RAM.
 * So the lab uses `dirty-bitmap` under KVM and `page-sampling` under TCG (`dirtyRateModes`).
 *
 * The figure counts distinct pages dirtied during the window, so it saturates at working set ÷
 * window: a guest that rewrites the same pages faster reads no higher.
 */
import type { QmpClient } from './qmp.js';

export type DirtyRateMode = 'dirty-bitmap' | 'page-sampling' | 'dirty-ring';

/** One measurement: MiB/s as QEMU reports it (a whole number), the mode used and the window. */
export interface DirtyRateMeasurement {
  readonly mib_s: number;
  readonly mode: DirtyRateMode;
  readonly calc_ms: number;
}

interface QueryDirtyRate {
  status?: string;
  'dirty-rate'?: number;
  mode?: DirtyRateMode;
  'calc-time'?: number;
}

/** Sampled pages per GiB in `page-sampling` mode. */
export const SAMPLE_PAGES_PER_GIB = 4096;

/** The modes that measure something on this accelerator, best first. */
export function dirtyRateModes(accel: 'kvm' | 'tcg'): readonly DirtyRateMode[] {
  return accel === 'kvm' ? ['dirty-bitmap', 'page-sampling'] : ['page-sampling'];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Measures over `calcMs` (≥ 1 ms) with the first of `modes` QEMU accepts; not during a migration. */
export async function measureDirtyRate(qmp: QmpClient, calcMs: number, modes: readonly DirtyRateMode[]): Promise<DirtyRateMeasurement> {
  let last: Error | undefined;
  for (const mode of modes) {
    try {
      await qmp.execute('calc-dirty-rate', {
        'calc-time': Math.max(1, Math.round(calcMs)),
        'calc-time-unit': 'millisecond',
        mode,
        ...(mode === 'page-sampling' ? { 'sample-pages': SAMPLE_PAGES_PER_GIB } : {}),
      });
    } catch (e) {
      last = e as Error;
      continue;
    }
    const deadline = Date.now() + calcMs + 10_000;
    for (;;) {
      await sleep(Math.min(250, Math.max(20, calcMs / 4)));
      const q = await qmp.execute<QueryDirtyRate>('query-dirty-rate', { 'calc-time-unit': 'millisecond' });
      if (q.status === 'measured') return { mib_s: q['dirty-rate'] ?? 0, mode: q.mode ?? mode, calc_ms: q['calc-time'] ?? calcMs };
      if (Date.now() > deadline) throw new Error(`calc-dirty-rate (${mode}) still "${q.status}" ${calcMs + 10_000} ms after it started`);
    }
  }
  throw new Error(`calc-dirty-rate: QEMU refused every mode (${modes.join(', ')}): ${last?.message}`);
}
