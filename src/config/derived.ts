/** Values derived from the spec that several parts need to agree on. Pure. */
import { createHash } from 'node:crypto';
import type { NodeSizeSpec, TestbedSpec } from './schema.js';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the spec in canonical JSON: the same spec always hashes the same, whatever the key order. */
export function specHash(spec: TestbedSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

/** A name-based UUID (RFC 4122 version 5 layout) so that a testbed keeps its fsid without storing it. */
export function nameUuid(namespace: string, name: string): string {
  const h = createHash('sha1').update(`${namespace}:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function cephFsid(spec: TestbedSpec): string {
  return spec.ceph.fsid ?? nameUuid('ceph-fsid', spec.name);
}

/** A node size's RAM in MiB (Nova's unit), from `ram_mib` or `ram_gb`; the rules make sure exactly one of them is set. */
export function nodeRamMib(size: NodeSizeSpec): number {
  return size.ram_mib ?? size.ram_gb! * 1024;
}
