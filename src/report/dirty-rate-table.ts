/**
 * The report's dirty-rate comparison: QEMU's own `calc-dirty-rate` on the source just before each
 * migration beside the guest's own report for the same window, per cell. Pure.
 */
import type { MigrationRow } from '../experiments/index.js';
import { spread } from './stats.js';
import type { ReportData } from './summarize.js';
import { fmt, fmtSpread, type Table } from './tables.js';

/** The completed rows of one cell. */
function cellRows(data: ReportData, c: ReportData['migrations'][number]): MigrationRow[] {
  const run = data.runs.find((r) => r.results.meta.run_id === c.run);
  return run?.results.migrations.filter((m) => m.pool === c.pool && m.flavor === c.flavor && m.load === c.load && m.status === 'completed') ?? [];
}

/** QEMU ÷ guest of one migration; NaN when either is missing or the guest reported 0. */
export function calcOverGuest(m: MigrationRow): number {
  const calc = m.dirty_rate_calc_mib_s;
  const guest = m.dirty_rate_guest_before_mib_s;
  return calc !== undefined && guest !== undefined && guest > 0 ? calc / guest : Number.NaN;
}

export function dirtyRateTable(data: ReportData): Table {
  const several = data.runs.length > 1;
  const problems = new Set<string>();
  const rows = data.migrations.map((c) => {
    const ms = cellRows(data, c);
    for (const m of ms) if (m.dirty_rate_calc_problem) problems.add(m.dirty_rate_calc_problem);
    const modes = [...new Set(ms.map((m) => m.dirty_rate_calc_mode).filter((x): x is string => !!x))];
    const ratio = spread(ms.map(calcOverGuest));
    return [
      ...(several ? [c.run] : []),
      c.flavor,
      c.load,
      c.backend,
      fmtSpread(spread(ms.map((m) => m.dirty_rate_calc_mib_s ?? Number.NaN))),
      fmtSpread(spread(ms.map((m) => m.dirty_rate_guest_before_mib_s ?? Number.NaN)), 1),
      fmtSpread(ratio, 2),
      ratio.n ? closeness(ratio.median) : 'no figure to compare',
      modes.join(', ') || fmt(Number.NaN),
    ];
  });
  return {
    id: 'table-dirty-rate',
    title: "Dirty rate: QEMU's calc-dirty-rate beside the guest's own report",
    head: [...(several ? ['run'] : []), 'flavor', 'load', 'backend', 'QEMU MiB/s', 'guest MiB/s', 'QEMU ÷ guest', 'how close', 'QEMU mode'],
    numeric: [3, 4, 5].map((i) => i + (several ? 1 : 0)),
    rows,
    note:
      'QEMU: calc-dirty-rate on the source over 1 s just before the migration (dirty-bitmap under KVM: every page dirtied in the window, counted once; ' +
      'page-sampling under TCG, where dirty-bitmap reads 0: 4096 sampled pages per GiB; QEMU reports whole MiB/s). ' +
      "Guest: the dirtier's own rate for the same second (pages it stored to ÷ time). The guest rewrites its working set round robin, so QEMU's distinct-page count reads lower " +
      'once the window covers more than one pass, and both read about 0 for an idle guest. This measured rate is what the lab driver gives the policy core instead of an assumed β.' +
      (problems.size ? ` Not measured: ${[...problems].join('; ')}.` : ''),
  };
}

/** One reading of a QEMU ÷ guest ratio. */
export function closeness(r: number): string {
  if (!Number.isFinite(r)) return 'no figure to compare';
  const off = Math.abs(r - 1);
  return off <= 0.1
    ? 'within 10 %'
    : off <= 0.25
      ? 'within 25 %'
      : r < 1
        ? `QEMU ${fmt((1 - r) * 100)} % lower`
        : `QEMU ${fmt((r - 1) * 100)} % higher`;
}
