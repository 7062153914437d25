/**
 * Ceph's secret-key format, as `ceph-authtool --gen-print-key` prints it: base64 of a 12-byte
 * header (u16 type = 1 for AES, u32 created seconds, u32 created nanoseconds, u16 length = 16,
 * all little-endian) followed by the 16-byte secret. 28 bytes, 40 base64 characters.
 */
export const CEPHX_KEY_TYPE_AES = 1;
export const CEPHX_SECRET_BYTES = 16;

export function cephxKey(secret: Uint8Array, createdMs: number): string {
  if (secret.length !== CEPHX_SECRET_BYTES) throw new Error(`a cephx secret has ${CEPHX_SECRET_BYTES} bytes, got ${secret.length}`);
  const buf = Buffer.alloc(12 + CEPHX_SECRET_BYTES);
  buf.writeUInt16LE(CEPHX_KEY_TYPE_AES, 0);
  buf.writeUInt32LE(Math.floor(createdMs / 1000) >>> 0, 2);
  buf.writeUInt32LE(((createdMs % 1000) * 1_000_000) >>> 0, 6);
  buf.writeUInt16LE(CEPHX_SECRET_BYTES, 10);
  Buffer.from(secret).copy(buf, 12);
  return buf.toString('base64');
}

/** Whether `key` is a well-formed cephx key (right length, type and secret size). */
export function isCephxKey(key: string): boolean {
  if (!/^[A-Za-z0-9+/]{38}==$/.test(key)) return false;
  const buf = Buffer.from(key, 'base64');
  return buf.length === 28 && buf.readUInt16LE(0) === CEPHX_KEY_TYPE_AES && buf.readUInt16LE(10) === CEPHX_SECRET_BYTES;
}
