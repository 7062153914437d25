/**
 * One authenticated call to Nova (or to Cinder, for the boot volume of a server): Keystone v3 token,
 * `OpenStack-API-Version: compute <microversion>`, JSON in and out, retries for what is safe to retry.
 *
 * GET and DELETE are retried on 5xx, 429 and timeouts with backoff; POSTs are not (a retried
 * os-migrateLive could start a second migration): their failure goes back to the caller.
 * A 406 (microversion not supported) is the cloud's answer, not a fault: it is not retried and
 * carries exit code 2, with the microversion and why it is needed.
 */
import { backoffDelay } from './loop.js';
import { keystoneLogin, OpenStackHttpError, type KeystoneToken, type OpenStackCredentials } from './openstack-auth.js';

/** The compute microversion of every call unless a call asks for another (see NovaComputeApi). */
export const NOVA_MICROVERSION = '2.56';

export interface NovaOptions {
  readonly credentials: OpenStackCredentials;
  /** Per-request timeout. @default 15000 */
  readonly timeoutMs?: number;
  /** Attempts for GET/DELETE. @default 4 */
  readonly attempts?: number;
  /** First retry delay. @default 500 */
  readonly retryDelayMs?: number;
  /** Interval of the driver's own waits (a migration that must reach `running` before an abort). @default 1000 */
  readonly pollMs?: number;
  readonly now?: () => number;
}

export interface RequestOptions {
  /** @default NOVA_MICROVERSION */
  readonly microversion?: string;
  /** Why this call needs its microversion, for the 406 message. @default - the job's general needs */
  readonly needs?: string;
  /** `volume`: the Cinder v3 endpoint, `image`: Glance's (no microversion header for either). @default 'compute' */
  readonly service?: 'compute' | 'volume' | 'image';
  /** A raw request body (`application/octet-stream`), e.g. an image's data; instead of a JSON `body`. */
  readonly data?: Uint8Array;
}

const RETRYABLE = (status: number): boolean => status >= 500 || status === 429;
const DEFAULT_NEEDS = 'the job needs >= 2.56: os-migrateLive with a target host and block_migration "auto", diagnostics in the 2.48 format';

export class NovaClient {
  private token: KeystoneToken | undefined;
  private readonly now: () => number;
  constructor(private readonly o: NovaOptions) {
    this.now = o.now ?? Date.now;
  }

  get pollMs(): number {
    return this.o.pollMs ?? 1000;
  }

  private async auth(): Promise<KeystoneToken> {
    if (!this.token || this.token.expiresAt - this.now() < 60_000) this.token = await keystoneLogin(this.o.credentials, this.o.timeoutMs ?? 15_000);
    return this.token;
  }

  /** One API call; returns the parsed JSON body (undefined for an empty body). */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, ro: RequestOptions = {}): Promise<T> {
    const attempts = method === 'POST' ? 1 : (this.o.attempts ?? 4);
    const service = ro.service ?? 'compute';
    const microversion = ro.microversion ?? NOVA_MICROVERSION;
    const timeoutMs = this.o.timeoutMs ?? 15_000;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const t = await this.auth();
      const baseUrl = { compute: t.computeUrl, volume: t.volumeUrl, image: t.imageUrl }[service];
      if (!baseUrl)
        throw new OpenStackHttpError(
          method,
          path,
          0,
          `no public ${service === 'volume' ? 'volumev3 (Cinder)' : 'image (Glance)'} endpoint in the catalog`,
          2,
        );
      const url = `${baseUrl}${path}`;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            'X-Auth-Token': t.token,
            ...(service === 'compute' ? { 'OpenStack-API-Version': `compute ${microversion}` } : {}),
            Accept: 'application/json',
            ...(ro.data ? { 'Content-Type': 'application/octet-stream' } : body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: ro.data ?? (body === undefined ? undefined : JSON.stringify(body)),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.status === 401 && attempt < attempts) {
          this.token = undefined;
          continue;
        }
        if (res.status === 406 && service === 'compute') {
          throw new OpenStackHttpError(
            method,
            url,
            406,
            `Nova does not support compute microversion ${microversion} (${ro.needs ?? DEFAULT_NEEDS}): ${text.slice(0, 200)}`,
            2,
          );
        }
        if (!res.ok) {
          last = new OpenStackHttpError(method, url, res.status, text);
          if (RETRYABLE(res.status) && attempt < attempts) {
            await sleep(backoffDelay(attempt, Math.random(), { minDelayMs: this.o.retryDelayMs ?? 500, maxDelayMs: 10_000 }));
            continue;
          }
          throw last;
        }
        return (text ? JSON.parse(text) : undefined) as T;
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        if (timedOut) last = new OpenStackHttpError(method, url, 0, `no answer within ${timeoutMs} ms`);
        else if (err instanceof TypeError)
          last = new OpenStackHttpError(method, url, 0, `cannot connect: ${(err.cause as Error | undefined)?.message ?? err.message}`);
        else throw err;
        if (attempt < attempts) {
          await sleep(backoffDelay(attempt, Math.random(), { minDelayMs: this.o.retryDelayMs ?? 500, maxDelayMs: 10_000 }));
          continue;
        }
      }
    }
    throw last;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The `message` of Nova's fault body (`{"badRequest": {"code": 400, "message": "..."}}`), or the text. */
export function novaFaultMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, { message?: string }>;
    const first = Object.values(j)[0];
    if (first && typeof first.message === 'string') return first.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 300);
}

/** Nova's timestamps are naive UTC (`2026-12-01T22:03:04.000000`): read them as UTC, ms epoch; undefined if absent. */
export function parseNovaTime(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isFinite(t) ? t : undefined;
}
