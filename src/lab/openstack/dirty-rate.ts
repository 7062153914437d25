/**
 * QEMU's dirty-rate measurement through libvirt, and the guest's own figure for the same window:
 * `virsh domdirtyrate-calc DOMAIN --seconds 1 --mode page-sampling` starts QEMU's calc-dirty-rate,
 * and `virsh domstats DOMAIN --dirtyrate` reads it (`dirtyrate.calc_status=2` once measured, then
 * `dirtyrate.megabytes_per_second`, `dirtyrate.calc_mode`, `dirtyrate.calc_period`). The lab's
 * QEMU runs under TCG, where dirty-bitmap reads 0: page-sampling it is. The guest prints a `STAT ...
 * dirty_mib_s=X` line every second on its console (guest/dirtier.c). Pure.
 */

export interface DomDirtyRate {
  /** virDomainDirtyRateStatus: 0 unstarted, 1 measuring, 2 measured. */
  readonly status: number;
  readonly mibPerS?: number;
  readonly mode?: string;
  readonly periodS?: number;
}

/** `virsh domstats --dirtyrate` output; undefined when it has no `dirtyrate.calc_status`. */
export function parseDomStatsDirtyRate(text: string): DomDirtyRate | undefined {
  const field = (name: string): string | undefined => new RegExp(`^\\s*dirtyrate\\.${name}=(\\S+)\\s*$`, 'm').exec(text)?.[1];
  const status = field('calc_status');
  if (status === undefined) return undefined;
  const n = (v: string | undefined) => (v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const mibPerS = n(field('megabytes_per_second'));
  const periodS = n(field('calc_period'));
  const mode = field('calc_mode');
  return {
    status: Number(status),
    ...(mibPerS !== undefined ? { mibPerS } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(periodS !== undefined ? { periodS } : {}),
  };
}

/** The guest's `dirty_mib_s` of each whole STAT line of its console, in order. */
export function guestDirtyRates(consoleLog: string): number[] {
  return [...consoleLog.matchAll(/STAT t_ms=\d+ dirty_mib_s=([\d.]+)[^\r\n]*\r?\n/g)].map((m) => Number(m[1]));
}
