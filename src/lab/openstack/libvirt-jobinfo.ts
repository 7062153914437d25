/**
 * libvirt's statistics of a completed migration job (`virsh domjobinfo --completed`), as the
 * destination compute keeps them after an incoming migration: QEMU's total time, downtime, setup
 * time and what was sent, which Nova's API does not report. Pure.
 */

export interface LibvirtJobInfo {
  /** `Operation:` (e.g. "Incoming migration"). */
  readonly operation?: string;
  readonly timeElapsedMs?: number;
  readonly downtimeMs?: number;
  readonly setupMs?: number;
  /** `Data processed` (memory + disk), bytes, to the printed precision (3 decimals of its unit). */
  readonly dataProcessedBytes?: number;
  readonly memoryProcessedBytes?: number;
  readonly normalPages?: number;
  readonly constantPages?: number;
  readonly iterations?: number;
  /** Every `Key: value` line, as printed. */
  readonly fields: Readonly<Record<string, string>>;
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

function bytes(value: string | undefined): number | undefined {
  const m = value && /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value);
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : undefined;
}

function ms(value: string | undefined): number | undefined {
  const m = value && /^(\d+)\s*ms$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function parseDomJobInfo(text: string): LibvirtJobInfo {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z /-]*?):\s+(.*\S)\s*$/.exec(line);
    if (m) fields[m[1]!] = m[2]!.replace(/\s+/g, ' ');
  }
  return {
    operation: fields['Operation'],
    timeElapsedMs: ms(fields['Time elapsed']),
    downtimeMs: ms(fields['Total downtime']),
    setupMs: ms(fields['Setup time']),
    dataProcessedBytes: bytes(fields['Data processed']),
    memoryProcessedBytes: bytes(fields['Memory processed']),
    normalPages: count(fields['Normal pages']),
    constantPages: count(fields['Constant pages']),
    iterations: count(fields['Iteration']),
    fields,
  };
}
