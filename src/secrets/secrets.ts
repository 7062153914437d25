/**
 * The testbed's secrets: service passwords, cephx keys and the libvirt secret UUID for RBD.
 *
 * Generated once per testbed (`generateSecrets`), kept in `.testbed/<name>/secrets.json` (mode 0600,
 * gitignored), and reused on every render so that re-rendering changes nothing. They never go into
 * the spec, the synthesized Terraform JSON, snapshots or logs (`redactSecrets` masks them in text).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cephxKey, isCephxKey } from './cephx-key.js';

/** Passwords, one per service account and database. Letters and digits only: safe in URLs and INI. */
export const PASSWORD_NAMES = [
  'keystone_admin',
  'keystone_db',
  'glance_db',
  'glance_service',
  'placement_db',
  'placement_service',
  'nova_db',
  'nova_service',
  'neutron_db',
  'neutron_service',
  'cinder_db',
  'cinder_service',
  'rabbitmq',
  'metadata_proxy',
  'haproxy_stats',
] as const;
export type PasswordName = (typeof PASSWORD_NAMES)[number];

/** cephx entities with a key of their own. */
export const CEPHX_ENTITIES = ['mon.', 'client.admin', 'client.bootstrap-osd', 'client.nova', 'client.cinder', 'client.glance'] as const;
export type CephxEntity = (typeof CEPHX_ENTITIES)[number];

export const PASSWORD_LENGTH = 32;
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface Secrets {
  readonly version: 1;
  readonly passwords: Readonly<Record<PasswordName, string>>;
  readonly cephx: Readonly<Record<CephxEntity, string>>;
  /** UUID of the libvirt secret holding the RBD client's key; the same on every compute host. */
  readonly rbd_secret_uuid: string;
}

export const secretsSchema = z
  .object({
    version: z.literal(1),
    passwords: z.record(z.string(), z.string().regex(/^[A-Za-z0-9]{16,}$/, 'at least 16 letters or digits')),
    cephx: z.record(z.string(), z.string().refine(isCephxKey, 'a cephx key as `ceph-authtool --gen-print-key` prints it')),
    rbd_secret_uuid: z.string().uuid(),
  })
  .strict();

export type RandomBytes = (n: number) => Uint8Array;

export function generatePassword(random: RandomBytes = randomBytes, length = PASSWORD_LENGTH): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < limit && out.length < length) out += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
    }
  }
  return out;
}

export interface GenerateOptions {
  /** @default crypto.randomBytes */
  readonly random?: RandomBytes;
  /** @default crypto.randomUUID */
  readonly uuid?: () => string;
  /** Creation time written into cephx keys. @default Date.now() */
  readonly now?: number;
}

/**
 * Fills in every secret `existing` lacks and keeps the ones it has: a new secret added to the
 * project appears in an old testbed's file without rotating the others.
 */
export function completeSecrets(existing: Partial<z.output<typeof secretsSchema>> | undefined, options: GenerateOptions = {}): Secrets {
  const random = options.random ?? randomBytes;
  const now = options.now ?? Date.now();
  const passwords = Object.fromEntries(PASSWORD_NAMES.map((n) => [n, existing?.passwords?.[n] ?? generatePassword(random)])) as Record<
    PasswordName,
    string
  >;
  const cephx = Object.fromEntries(CEPHX_ENTITIES.map((e) => [e, existing?.cephx?.[e] ?? cephxKey(random(16), now)])) as Record<CephxEntity, string>;
  return { version: 1, passwords, cephx, rbd_secret_uuid: existing?.rbd_secret_uuid ?? (options.uuid ?? randomUUID)() };
}

export function generateSecrets(options: GenerateOptions = {}): Secrets {
  return completeSecrets(undefined, options);
}

/** Every secret value, longest first (so a value that contains another is masked whole). */
export function secretValues(secrets: Secrets): string[] {
  return [...Object.values(secrets.passwords), ...Object.values(secrets.cephx), secrets.rbd_secret_uuid].sort((a, b) => b.length - a.length);
}

/** Replaces every secret value in `text` with `<secret>` (for logs, snapshots and manifests). */
export function redactSecrets(text: string, secrets: Secrets): string {
  let out = text;
  for (const v of secretValues(secrets)) out = out.split(v).join('<secret>');
  return out;
}
