/**
 * Servers on the lab's OpenStack, booted from a Cinder volume of a pool's volume type, so each VM's
 * disk is an RBD image in the Filestore or the Bluestore pool, as the study compares them.
 *
 * - Create at compute microversion 2.74: `block_device_mapping_v2` with `volume_type` (2.67) and the
 *   admin's `host` (2.74), `networks: "none"` (2.37) until the lab's guests get ports.
 * - Waits poll every `pollMs` and fail with the server's fault when it goes to ERROR.
 */
import { sleep, type NovaClient } from '../../policy/index.js';

export const SERVER_CREATE_MICROVERSION = '2.74';

export interface LabServerJson {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly 'OS-EXT-SRV-ATTR:host'?: string | null;
  /** libvirt's domain name on the compute (admin only). */
  readonly 'OS-EXT-SRV-ATTR:instance_name'?: string;
  readonly 'OS-EXT-STS:task_state'?: string | null;
  readonly 'os-extended-volumes:volumes_attached'?: ReadonlyArray<{ readonly id: string }>;
  readonly fault?: { readonly message?: string; readonly details?: string };
}

export interface BootFromVolumeRequest {
  readonly name: string;
  /** Flavor name (looked up) or id. */
  readonly flavor: string;
  /** The Glance image the boot volume is made from. */
  readonly imageId: string;
  /** The Cinder volume type (one per pool). */
  readonly volumeType: string;
  /** @default 1 */
  readonly volumeGb?: number;
  /** Compute host to boot on (admin only). @default - the scheduler's choice */
  readonly host?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface WaitOptions {
  /** @default 600000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly pollMs?: number;
}

export class LabServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabServerError';
  }
}

export async function getServer(client: NovaClient, id: string): Promise<LabServerJson> {
  return (await client.request<{ server: LabServerJson }>('GET', `/servers/${id}`)).server;
}

async function flavorId(client: NovaClient, flavor: string): Promise<string> {
  const all = (await client.request<{ flavors: Array<{ id: string; name: string }> }>('GET', '/flavors?is_public=None')).flavors;
  const f = all.find((x) => x.name === flavor || x.id === flavor);
  if (!f) throw new LabServerError(`no flavor ${JSON.stringify(flavor)} in Nova; it has ${all.map((x) => x.name).join(', ') || 'none'}`);
  return f.id;
}

/** POST /servers (boot from a new volume of the type), then waits for ACTIVE. */
export async function bootFromVolume(client: NovaClient, req: BootFromVolumeRequest, wait: WaitOptions = {}): Promise<LabServerJson> {
  const body = {
    server: {
      name: req.name,
      flavorRef: await flavorId(client, req.flavor),
      networks: 'none',
      ...(req.host ? { host: req.host } : {}),
      ...(req.metadata ? { metadata: req.metadata } : {}),
      block_device_mapping_v2: [
        {
          boot_index: 0,
          uuid: req.imageId,
          source_type: 'image',
          destination_type: 'volume',
          volume_size: req.volumeGb ?? 1,
          volume_type: req.volumeType,
          delete_on_termination: true,
        },
      ],
    },
  };
  const created = await client.request<{ server: { id: string } }>('POST', '/servers', body, {
    microversion: SERVER_CREATE_MICROVERSION,
    needs: 'a boot volume of a chosen volume type (2.67) on a chosen host (2.74)',
  });
  return waitForServer(client, created.server.id, (s) => s.status === 'ACTIVE' && !s['OS-EXT-STS:task_state'], 'ACTIVE', wait);
}

/** Polls the server until `done`; a server in ERROR fails with its fault. */
export async function waitForServer(
  client: NovaClient,
  id: string,
  done: (s: LabServerJson) => boolean,
  what: string,
  wait: WaitOptions = {},
): Promise<LabServerJson> {
  const deadline = Date.now() + (wait.timeoutMs ?? 600_000);
  for (;;) {
    const s = await getServer(client, id);
    if (done(s)) return s;
    if (s.status === 'ERROR')
      throw new LabServerError(`server ${s.name} (${id}) went to ERROR waiting for ${what}: ${s.fault?.message ?? 'no fault message'}`);
    if (Date.now() > deadline)
      throw new LabServerError(
        `server ${s.name} (${id}) not ${what} within ${wait.timeoutMs ?? 600_000} ms: status ${s.status}, task ${s['OS-EXT-STS:task_state'] ?? 'none'}`,
      );
    await sleep(wait.pollMs ?? 1000);
  }
}

/** The last `lines` lines of the server's console log (os-getConsoleOutput). */
export async function consoleOutput(client: NovaClient, id: string, lines = 400): Promise<string> {
  return (await client.request<{ output: string }>('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': { length: lines } })).output;
}

/**
 * DELETE /servers/{id}, then waits until Nova no longer knows it and until Cinder no longer has its
 * volumes (the boot volume is `delete_on_termination`). A volume left behind is an error, not a
 * leak that later fails a boot on the volume quota: Nova could not detach it.
 */
export async function deleteServer(client: NovaClient, id: string, wait: WaitOptions = {}): Promise<void> {
  const timeoutMs = wait.timeoutMs ?? 300_000;
  const volumes = ((await getServer(client, id))['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id);
  await client.request('DELETE', `/servers/${id}`);
  const deadline = Date.now() + timeoutMs;
  await until(
    deadline,
    wait,
    async () => (await statusOf(() => getServer(client, id))) === 404,
    () => `server ${id} still exists ${timeoutMs} ms after DELETE`,
  );
  for (const v of volumes) {
    let last = '';
    await until(
      deadline,
      wait,
      async () => {
        const r = await statusOf(() => client.request<{ volume: { status: string } }>('GET', `/volumes/${v}`, undefined, { service: 'volume' }));
        if (r === 404) return true;
        last = r.volume.status;
        return false;
      },
      () =>
        `volume ${v} of deleted server ${id} is still ${last} ${timeoutMs} ms after DELETE: Nova did not detach it ` +
        "(Cinder refuses Nova's detach without a service token whose user has the service role)",
    );
  }
}

/** The answer, or 404 when the resource is gone; other errors propagate. */
async function statusOf<T>(get: () => Promise<T>): Promise<T | 404> {
  try {
    return await get();
  } catch (e) {
    if ((e as { status?: number }).status === 404) return 404;
    throw e;
  }
}

async function until(deadline: number, wait: WaitOptions, done: () => Promise<boolean>, late: () => string): Promise<void> {
  while (!(await done())) {
    if (Date.now() > deadline) throw new LabServerError(late());
    await sleep(wait.pollMs ?? 1000);
  }
}
