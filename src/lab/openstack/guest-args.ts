/**
 * The guest's kernel command line under Nova (the `os_command_line` of its Glance image): the
 * console settings, then the load for one flavor and one experiment load, then a check every
 * `verifyEveryS` seconds, since no host can type into a console that Nova only logs. Pure.
 */
import type { GuestLoad } from '../guest-load.js';

export function guestLoadArgs(load: GuestLoad, verifyEveryS: number): string {
  return [
    `tb.ws_mib=${load.wsMib}`,
    `tb.rate_mib_s=${load.rateMibS}`,
    `tb.disk_ops_s=${load.diskOpsS}`,
    ...(load.verifyMib !== undefined ? [`tb.verify_mib=${load.verifyMib}`] : []),
    ...(load.diskBlocks !== undefined ? [`tb.disk_blocks=${load.diskBlocks}`] : []),
    ...(load.diskLoad
      ? [
          `tb.dl_iops=${load.diskLoad.iops}`,
          `tb.dl_qd=${load.diskLoad.queueDepth}`,
          `tb.dl_mode=${load.diskLoad.mode}`,
          `tb.dl_region_mib=${load.diskLoad.regionMib}`,
        ]
      : []),
    `tb.verify_every_s=${verifyEveryS}`,
  ].join(' ');
}
