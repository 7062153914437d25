/**
 * A QMP client over a unix socket: commands with ids, and every event kept with QEMU's own timestamp
 * (so real downtime = destination RESUME − source STOP uses one host clock).
 */
import { createConnection, type Socket } from 'node:net';

export interface QmpEvent {
  readonly event: string;
  /** QEMU's timestamp, ms since the epoch (microsecond precision). */
  readonly atMs: number;
  readonly data?: Record<string, unknown>;
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly qmpClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${qmpClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

/** A command QEMU did not answer in time (a hung or stopped QEMU, or one blocked on its storage). */
export class QmpTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`QMP ${command}: no answer from QEMU within ${timeoutMs} ms`);
    this.name = 'QmpTimeoutError';
  }
}

/**
 * How long a command may wait for QEMU's answer by default. Every QMP command the lab sends answers
 * at once (`migrate` starts the job and returns; progress is polled), so this only ends waits on a
 * QEMU that will never answer: stopped, hung, or blocked on a storage cluster that is gone.
 */
export const QMP_COMMAND_TIMEOUT_MS = 30_000;

type Pending = { command: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class QmpClient {
  readonly events: QmpEvent[] = [];
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closedError?: Error;

  private constructor(private readonly socket: Socket) {}

  /**
   * Connects, reads the greeting and negotiates capabilities. Retries until `timeoutMs` while QEMU
   * starts; the whole connect, greeting and negotiation included, never takes much longer than that
   * (a QEMU that accepts the connection but never greets, e.g. a stopped one, is given up on).
   */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await QmpClient.connectOnce(path, Math.max(100, deadline - Date.now()));
      } catch (err) {
        if (Date.now() >= deadline) throw new Error(`QMP: cannot connect to ${path}: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private static connectOnce(path: string, greetingTimeoutMs: number): Promise<QmpClient> {
    return new Promise((resolvePromise, rejectPromise) => {
      const socket = createConnection(path);
      const client = new QmpClient(socket);
      let greeted = false;
      const timer = setTimeout(() => reject(new Error(`no QMP greeting within ${greetingTimeoutMs} ms`)), greetingTimeoutMs);
      const resolve = (c: QmpClient) => {
        clearTimeout(timer);
        resolvePromise(c);
      };
      const reject = (e: Error) => {
        clearTimeout(timer);
        rejectPromise(e);
        socket.destroy();
      };
      socket.setEncoding('utf8');
      socket.once('error', (e) => {
        if (!greeted) reject(e);
      });
      socket.on('data', (chunk: string) => {
        client.buffer += chunk;
        let nl: number;
        while ((nl = client.buffer.indexOf('\n')) >= 0) {
          const line = client.buffer.slice(0, nl).trim();
          client.buffer = client.buffer.slice(nl + 1);
          if (!line) continue;
          const msg = JSON.parse(line) as Record<string, unknown>;
          if (!greeted && 'QMP' in msg) {
            greeted = true;
            client.execute('qmp_capabilities', undefined, greetingTimeoutMs).then(() => resolve(client), reject);
            continue;
          }
          client.dispatch(msg);
        }
      });
      socket.on('close', () => {
        client.closedError = new Error(`QMP: connection to ${path} closed`);
        for (const p of client.pending.values()) {
          clearTimeout(p.timer);
          p.reject(client.closedError);
        }
        client.pending.clear();
        if (!greeted) reject(client.closedError);
      });
    });
  }

  private dispatch(msg: Record<string, unknown>): void {
    if ('event' in msg) {
      const ts = msg.timestamp as { seconds: number; microseconds: number };
      this.events.push({
        event: String(msg.event),
        atMs: ts.seconds * 1000 + ts.microseconds / 1000,
        data: msg.data as Record<string, unknown> | undefined,
      });
      return;
    }
    const id = String(msg.id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const e = msg.error as { class: string; desc: string };
      p.reject(new QmpError(p.command, e.class, e.desc));
    } else p.resolve(msg.return);
  }

  /** Sends one command; rejects with {@link QmpTimeoutError} when QEMU does not answer within `timeoutMs`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = QMP_COMMAND_TIMEOUT_MS): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`);
    });
  }

  /** The first event named `name` at or after index `from` of `events`. */
  findEvent(name: string, from = 0): QmpEvent | undefined {
    return this.events.slice(from).find((e) => e.event === name);
  }

  close(): void {
    this.socket.destroy();
  }
}
