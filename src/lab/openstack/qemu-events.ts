/**
 * The real downtime of a live migration, from QEMU's own events: the destination's RESUME minus the
 * source's STOP. libvirt owns each QEMU's monitor, so the events are read through it:
 * `virsh qemu-monitor-event --loop --event NAME` in the compute's container prints each event with
 * QEMU's timestamp (`event STOP at 1733277600.123456 for domain 'instance-00000001': <null>`). The
 * computes are containers on one machine, so both timestamps come from the same clock.
 *
 * A watch listens to every domain (on the destination the domain does not exist before the
 * migration starts) and keeps the named domain's events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { nsenterArgs } from '../../exec/index.js';

export interface QemuEvent {
  readonly event: string;
  readonly domain: string;
  /** QEMU's timestamp, ms since the epoch (µs resolution). */
  readonly atMs: number;
}

const EVENT_LINE = /^event (\S+) at (\d+)\.(\d{6}) for domain '([^']*)'/;

/** The events in `virsh qemu-monitor-event` output (without --timestamp, which prints virsh's clock). */
export function parseQemuMonitorEvents(text: string): QemuEvent[] {
  const out: QemuEvent[] = [];
  for (const line of text.split('\n')) {
    const m = EVENT_LINE.exec(line.trim());
    if (m) out.push({ event: m[1]!, domain: m[4]!, atMs: Number(m[2]) * 1000 + Number(m[3]) / 1000 });
  }
  return out;
}

/**
 * RESUME on the destination − the source's last STOP before it, ms; NaN (with why) when either is
 * missing or they are out of order.
 */
export function downtimeFromEvents(source: readonly QemuEvent[], target: readonly QemuEvent[], domain: string): { ms: number; problem?: string } {
  const resume = target.find((e) => e.domain === domain && e.event === 'RESUME');
  if (!resume) return { ms: Number.NaN, problem: `no RESUME of ${domain} on the destination` };
  const stop = source.filter((e) => e.domain === domain && e.event === 'STOP' && e.atMs <= resume.atMs).at(-1);
  if (!stop) return { ms: Number.NaN, problem: `no STOP of ${domain} on the source before its RESUME on the destination` };
  return { ms: resume.atMs - stop.atMs };
}

/** One `virsh qemu-monitor-event --loop` in a container, from start() until stop(). */
export class QemuEventWatch {
  private output = '';
  private ended = false;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr!.resume();
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        this.ended = true;
        resolve();
      }),
    );
  }

  /**
   * Starts listening in the container whose systemd is `leaderPid`, for `event`, and resolves once
   * virsh has had `settleMs` to subscribe (an event before that would be missed).
   */
  static async start(leaderPid: number, event: string, settleMs = 500): Promise<QemuEventWatch> {
    // stdbuf: virsh's stdout is a pipe here, block-buffered otherwise. Its own process group, so that
    // stop() reaches virsh behind nsenter's fork.
    const args = nsenterArgs(leaderPid, 'stdbuf', ['-oL', 'virsh', '-c', 'qemu:///system', 'qemu-monitor-event', '--loop', '--event', event]);
    const watch = new QemuEventWatch(spawn('nsenter', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    await Promise.race([new Promise((r) => setTimeout(r, settleMs)), watch.exited]);
    return watch;
  }

  /** Ends the watch (SIGINT ends virsh's event loop; SIGKILL after `graceMs`) and returns the events. */
  async stop(graceMs = 3000): Promise<QemuEvent[]> {
    const group = this.child.pid;
    const signal = (s: NodeJS.Signals) => {
      if (this.ended || !group) return; // never signal a group that may be someone else's by now
      try {
        process.kill(-group, s);
      } catch {
        // already gone
      }
    };
    signal('SIGINT');
    const late = setTimeout(() => signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(late);
    return parseQemuMonitorEvents(this.output);
  }
}
