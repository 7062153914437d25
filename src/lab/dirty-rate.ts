/**
 * QEMU's own measurement of a VM's memory dirty rate: `calc-dirty-rate`, then `query-dirty-rate`
 * until it says `measured` (QMP, QEMU ≥ 8.2 for `calc-time-unit`). Of QEMU 10's three modes,
 * `dirty-ring` needs KVM's dirty ring (QEMU refuses it under TCG: "mode dirty-ring is not enabled"),
 * `page-sampling` hashes 512 sampled pages per GiB (128 pages for a 256 MiB guest: coarse), and
 * `dirty-bitmap` counts every page dirtied in the window through the dirty log, which works under TCG
 * too. So the lab asks for `dirty-bitmap` and falls back to `page-sampling` if QEMU refuses it.
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Measures over `calcMs` (≥ 1 ms); not during a migration (QEMU refuses while it runs one). */
export async function measureDirtyRate(
  qmp: QmpClient,
  calcMs = 1000,
  modes: readonly DirtyRateMode[] = ['dirty-bitmap', 'page-sampling'],
): Promise<DirtyRateMeasurement> {
  let last: Error | undefined;
  for (const mode of modes) {
    try {
      await qmp.execute('calc-dirty-rate', { 'calc-time': Math.max(1, Math.round(calcMs)), 'calc-time-unit': 'millisecond', mode });
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
