/**
 * The guest's checker's verdict (guest/dirtier.c's `RESULT-<id> ...` line): what it compared in
 * memory, on its disk ring and in the disk load's region, and what differed. Pure.
 */

/** What the guest's checker found: counts of what it checked and of what differed. */
export interface GuestVerification {
  /** Memory and disk both checked something and found nothing wrong. */
  readonly ok: boolean;
  /** Pages compared in full (4 KiB each) and how many differed. */
  readonly memPages: number;
  readonly memBad: number;
  /** Disk blocks (4 KiB) read back from the disk and how many differed; 0 checked when the guest has no disk. */
  readonly diskBlocks: number;
  readonly diskBad: number;
  /** Blocks of the disk load's region read back (every block it wrote) and how many differed; absent when the guest has no disk load. */
  readonly loadBlocks?: number;
  readonly loadBad?: number;
  /** The guest's own time for the memory and the disk check, ms (guest clock). */
  readonly guestMemMs: number;
  readonly guestDiskMs: number;
  /** Host wall time from the request to the result line, ms. */
  readonly wallMs: number;
  /** The RESULT line, without its id. */
  readonly line: string;
}

/** Parses the dirtier's `RESULT-<id> ...` line (without `RESULT-<id> `). Unknown or missing counts read as 0 checked. */
export function parseVerification(line: string, wallMs: number): GuestVerification {
  const kv = Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((p) => p.split('=') as [string, string]),
  ) as Record<string, string | undefined>;
  const num = (k: string) => {
    const v = Number(kv[k]);
    return Number.isFinite(v) ? v : 0;
  };
  const memPages = num('mem_pages');
  const diskBlocks = kv.disk === 'none' ? 0 : num('disk_blocks');
  const memBad = num('mem_bad');
  const diskBad = num('disk_bad');
  // The disk load's region (dl=ok|FAIL), when the guest runs one; dl=none or no dl field: no disk load.
  const load = kv.dl === 'ok' || kv.dl === 'FAIL' ? { loadBlocks: num('dl_blocks'), loadBad: num('dl_bad') } : undefined;
  const loadOk = !load || (kv.dl === 'ok' && load.loadBlocks > 0 && load.loadBad === 0);
  return {
    ok: kv.mem === 'ok' && kv.disk === 'ok' && memPages > 0 && diskBlocks > 0 && memBad === 0 && diskBad === 0 && loadOk,
    memPages,
    memBad,
    diskBlocks,
    diskBad,
    ...load,
    guestMemMs: num('mem_ms'),
    guestDiskMs: num('disk_ms'),
    wallMs,
    line: line.trim(),
  };
}

/** Why a verification is not a pass, in words (undefined when it passed). */
export function verificationProblem(v: GuestVerification): string | undefined {
  if (v.ok) return undefined;
  const parts: string[] = [];
  if (v.memPages === 0) parts.push('no memory pattern to check');
  else if (v.memBad > 0) parts.push(`${v.memBad} of ${v.memPages} pages differ`);
  if (v.diskBlocks === 0) parts.push('no disk blocks checked (no disk, or the ring could not be written)');
  else if (v.diskBad > 0) parts.push(`${v.diskBad} of ${v.diskBlocks} disk blocks differ`);
  if (v.loadBlocks === 0) parts.push('the disk load wrote no block to check');
  else if (v.loadBad) parts.push(`${v.loadBad} of ${v.loadBlocks} disk-load blocks differ`);
  return parts.length ? parts.join('; ') : v.line;
}
