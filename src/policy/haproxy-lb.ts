/**
 * `LoadBalancer` on HAProxy's runtime API (the admin socket, `stats socket ... level admin`).
 * One command per connection (non-interactive mode): connect, write the line, read until HAProxy
 * closes. Commands (HAProxy 2.6 management guide, "Unix Socket commands"):
 * `set server B/S weight W`, `set server B/S state ready|drain|maint`, `add server B/S ADDR:PORT weight W`
 * (dynamic servers, added in maintenance), `del server B/S` (must be in maintenance), and
 * `show servers state [B]` to read back.
 */
import { createConnection } from 'node:net';
import type { LbAdminState, LbServerRef, LbServerState, LoadBalancer } from './interfaces.js';

/** HAProxy answered with an error, or the socket failed. */
export class HaproxyError extends Error {
  constructor(
    readonly command: string,
    readonly answer: string,
  ) {
    super(`haproxy runtime API: "${command}" failed: ${answer.trim() || 'empty answer'}`);
    this.name = 'HaproxyError';
  }
}

export interface HaproxyOptions {
  /** Path of the admin socket. */
  readonly socket: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

const NAME = /^[A-Za-z0-9_.:-]+$/;
function refText(ref: LbServerRef): string {
  for (const part of [ref.backend, ref.server]) {
    if (!NAME.test(part))
      throw new HaproxyError(`server ${ref.backend}/${ref.server}`, `invalid name ${JSON.stringify(part)}: allowed letters, digits, _ . : -`);
  }
  return `${ref.backend}/${ref.server}`;
}

/** srv_admin_state bits (src/server.h): forced/inherited/config maintenance, forced/inherited drain, resolver maintenance. */
const ADMIN_MAINT = 0x01 | 0x02 | 0x04 | 0x20;
const ADMIN_DRAIN = 0x08 | 0x10;

/** Parses `show servers state` output (format version 1) by its header names. */
export function parseServersState(text: string): LbServerState[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header || lines[0]?.trim() !== '1') throw new HaproxyError('show servers state', `unexpected answer: ${text.slice(0, 200)}`);
  const cols = header.slice(2).trim().split(/\s+/);
  const at = (fields: string[], name: string): string => fields[cols.indexOf(name)] ?? '';
  return lines
    .filter((l) => !l.startsWith('#') && l.trim() !== '1')
    .map((l) => {
      const fields = l.trim().split(/\s+/);
      const admin = Number.parseInt(at(fields, 'srv_admin_state'), 10);
      const state: LbAdminState = admin & ADMIN_MAINT ? 'maint' : admin & ADMIN_DRAIN ? 'drain' : 'ready';
      return {
        backend: at(fields, 'be_name'),
        server: at(fields, 'srv_name'),
        address: at(fields, 'srv_addr'),
        port: Number.parseInt(at(fields, 'srv_port'), 10),
        weight: Number.parseInt(at(fields, 'srv_uweight'), 10),
        admin: state,
        up: at(fields, 'srv_op_state') === '2',
      };
    });
}

export class HaproxyLoadBalancer implements LoadBalancer {
  private readonly timeoutMs: number;
  constructor(private readonly o: HaproxyOptions) {
    this.timeoutMs = o.timeoutMs ?? 5000;
  }

  /** Sends one command and returns HAProxy's whole answer. */
  command(line: string): Promise<string> {
    if (/[\n\r;]/.test(line)) return Promise.reject(new HaproxyError(line, 'a command must be one line without ";"'));
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.o.socket);
      let answer = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new HaproxyError(line, `no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.end(`${line}\n`));
      sock.on('data', (d) => (answer += d));
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(new HaproxyError(line, `cannot reach ${this.o.socket}: ${err.message}`));
      });
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** Runs a command whose success is an empty answer (or one of `ok`). */
  private async expect(line: string, ok: readonly RegExp[] = []): Promise<void> {
    const answer = await this.command(line);
    const text = answer.trim();
    if (text === '' || ok.some((r) => r.test(text))) return;
    throw new HaproxyError(line, text);
  }

  async setWeight(ref: LbServerRef, weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 256)
      throw new HaproxyError(`set server ${ref.backend}/${ref.server} weight`, `weight ${weight}; allowed: an integer 0..256`);
    return this.expect(`set server ${refText(ref)} weight ${weight}`);
  }

  async drain(ref: LbServerRef): Promise<void> {
    return this.expect(`set server ${refText(ref)} state drain`);
  }

  async ready(ref: LbServerRef): Promise<void> {
    return this.expect(`set server ${refText(ref)} state ready`);
  }

  async addServer(ref: LbServerRef, address: string, port: number, weight: number): Promise<void> {
    if (!/^[0-9a-fA-F.:]+$/.test(address) || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new HaproxyError(
        `add server ${ref.backend}/${ref.server}`,
        `invalid address ${JSON.stringify(address)}:${port}; allowed: an IP address and a port 1..65535`,
      );
    }
    const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    await this.expect(`add server ${refText(ref)} ${where} weight ${weight}`, [/^New server registered\.$/]);
    // Dynamic servers start in maintenance.
    await this.ready(ref);
  }

  async removeServer(ref: LbServerRef): Promise<void> {
    await this.expect(`set server ${refText(ref)} state maint`);
    await this.expect(`del server ${refText(ref)}`, [/^Server deleted\.$/]);
  }

  async readBack(): Promise<readonly LbServerState[]> {
    return parseServersState(await this.command('show servers state'));
  }
}
