/**
 * The lab's guest image in Glance, for Nova to boot: the kernel and the initramfs as `raw`/`bare`
 * images, and one small raw disk image per guest variant whose properties point at them
 * (`kernel_id`, `ramdisk_id`) and carry the guest's kernel command line (`os_command_line`).
 *
 * - Raw, not `aki`/`ari`: Debian's Nova carries the format-inspector fix, which rejects aki/ari/ami,
 *   and the destination fetches kernel and ramdisk again in pre_live_migration.
 * - Idempotent: an image whose name and `testbed_key` (the guest build's key, plus the variant's
 *   command line) match is reused; one with the name but another key is replaced.
 * - A server booted from a Cinder volume made from a variant's disk image gets the image's
 *   properties through the volume's image metadata, so the command line needs no per-server image.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NovaClient } from '../../policy/index.js';
import type { GuestImage } from '../guest-image.js';

export interface GlanceImageJson {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly testbed_key?: string;
  readonly [property: string]: unknown;
}

export interface GuestVariant {
  /** Image name suffix: `<prefix>-<name>`. */
  readonly name: string;
  /** Kernel command line arguments for the guest's init (tb.*), after the console settings. */
  readonly args: string;
}

export interface GlanceGuestProps {
  readonly client: NovaClient;
  readonly image: GuestImage;
  readonly variants: readonly GuestVariant[];
  /** @default 'testbed-guest' */
  readonly prefix?: string;
  /** Size of each variant's raw disk image (the volume's size rounds up to whole GiB). @default 64 */
  readonly diskMib?: number;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

export interface GlanceGuest {
  readonly kernelId: string;
  readonly ramdiskId: string;
  /** Variant name -> disk image id. */
  readonly disks: Readonly<Record<string, string>>;
  /** Images this call uploaded (0 when everything was already there). */
  readonly uploaded: number;
}

/** The console settings every variant boots with: the serial console is Nova's console log. */
export const GUEST_CONSOLE_ARGS = 'console=ttyS0 panic=-1 quiet';

const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);

export async function ensureGlanceGuest(p: GlanceGuestProps): Promise<GlanceGuest> {
  const prefix = p.prefix ?? 'testbed-guest';
  const log = p.log ?? (() => {});
  const have = (await p.client.request<{ images: GlanceImageJson[] }>('GET', `/v2/images?limit=1000`, undefined, { service: 'image' })).images;
  let uploaded = 0;

  const ensure = async (name: string, key: string, data: () => Uint8Array, properties: Record<string, string>): Promise<string> => {
    const same = have.filter((i) => i.name === name);
    const ok = same.find((i) => i.testbed_key === key && i.status === 'active');
    for (const old of same.filter((i) => i !== ok)) {
      log(`glance: deleting ${name} ${old.id} (key ${old.testbed_key ?? 'none'}, status ${old.status})`);
      await p.client.request('DELETE', `/v2/images/${old.id}`, undefined, { service: 'image' });
    }
    if (ok) return ok.id;
    const created = await p.client.request<GlanceImageJson>(
      'POST',
      '/v2/images',
      { name, disk_format: 'raw', container_format: 'bare', visibility: 'public', testbed_key: key, ...properties },
      { service: 'image' },
    );
    const bytes = data();
    const t0 = Date.now();
    await p.client.request('PUT', `/v2/images/${created.id}/file`, undefined, { service: 'image', data: bytes });
    log(`glance: uploaded ${name} (${(bytes.length / 1048576).toFixed(1)} MiB) in ${Date.now() - t0} ms`);
    uploaded++;
    return created.id;
  };

  const kernelId = await ensure(`${prefix}-kernel`, keyOf(p.image.key, 'kernel'), () => readFileSync(p.image.kernel), {});
  const ramdiskId = await ensure(`${prefix}-initrd`, keyOf(p.image.key, 'initrd'), () => readFileSync(p.image.initrd), {});
  const diskMib = p.diskMib ?? 64;
  const disks: Record<string, string> = {};
  for (const v of p.variants) {
    const cmdline = `${GUEST_CONSOLE_ARGS} ${v.args}`.trim();
    disks[v.name] = await ensure(
      `${prefix}-${v.name}`,
      keyOf(p.image.key, kernelId, ramdiskId, cmdline, String(diskMib)),
      () => new Uint8Array(diskMib << 20),
      {
        kernel_id: kernelId,
        ramdisk_id: ramdiskId,
        os_command_line: cmdline,
      },
    );
  }
  return { kernelId, ramdiskId, disks, uploaded };
}
