/**
 * The lab guest's own checks, as it prints them on its serial console (Nova's console log) when it
 * runs with `tb.verify_every_s`: `RESULT-autoN ...` lines (guest/dirtier.c), each read as the
 * checker's verdict (../guest-verification.ts). Pure.
 */
import { parseVerification, type GuestVerification } from '../guest-verification.js';

export interface GuestCheck {
  /** N of RESULT-autoN: the guest's own count. */
  readonly seq: number;
  readonly verification: GuestVerification;
}

/** Every whole RESULT-autoN line of a console log (a line still being written is left for the next read). */
export function guestChecks(consoleLog: string): GuestCheck[] {
  return [...consoleLog.matchAll(/RESULT-auto(\d+) ([^\r\n]*)\r?\n/g)].map((m) => ({
    seq: Number(m[1]),
    verification: parseVerification(m[2]!, Number.NaN),
  }));
}

/** The check compared memory and the disk ring (and the disk load's region, with one) and found nothing different. */
export function checkPassed(c: GuestCheck): boolean {
  return c.verification.ok;
}
