/**
 * What the lab's guest does and checks, as its kernel command line tells it (guest/init,
 * guest/dirtier.c): the memory it dirties, the disk writes, the pattern and the ring it checks.
 */

export interface GuestLoad {
  /** Working set the dirtier writes, MiB (0: no memory load). */
  readonly wsMib: number;
  readonly rateMibS: number;
  /** Checksummed disk blocks written per second. */
  readonly diskOpsS: number;
  /**
   * The pattern region the guest fills at boot and checks, every byte, after each migration, MiB;
   * the working set is its first `wsMib`. @default - `DEFAULT_VERIFY_MEMORY_PCT` of the RAM
   */
  readonly verifyMib?: number;
  /** Blocks (4 KiB) of the checksummed ring the guest writes to its disk at boot and checks after each migration. @default DEFAULT_VERIFY_DISK_BLOCKS */
  readonly diskBlocks?: number;
  /** Random 4 KiB writes to the guest's disk during the migration (load `disk`). @default - none */
  readonly diskLoad?: GuestDiskLoad;
}

/** The guest's disk load (the spec's experiments.disk_load): random 4 KiB writes to a region after the ring. */
export interface GuestDiskLoad {
  /** Writes per second, all threads together. */
  readonly iops: number;
  /** Writes in flight at once (one writer thread each). */
  readonly queueDepth: number;
  /** `direct`: O_DIRECT writes; `fsync`: buffered writes, each followed by fdatasync. */
  readonly mode: 'direct' | 'fsync';
  /** Size of the region the writes land in, MiB (after the ring, 1 MiB aligned). */
  readonly regionMib: number;
}

/** Share of guest RAM the pattern covers when the caller does not say (the spec's experiments.verify.memory_pct). */
export const DEFAULT_VERIFY_MEMORY_PCT = 25;
/** Disk blocks in the checked ring when the caller does not say (the spec's experiments.verify.disk_blocks). */
export const DEFAULT_VERIFY_DISK_BLOCKS = 256;

/** MiB of a `ramMib` guest that `pct` percent of its RAM covers (at least 1). */
export function verifyMibFor(ramMib: number, pct: number): number {
  return Math.max(1, Math.floor((ramMib * pct) / 100));
}
