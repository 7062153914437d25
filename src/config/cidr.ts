/** IPv4 CIDR arithmetic for the spec's ranges (already shape-checked by the schema). */
export function parseCidr(text: string): { base: number; bits: number } {
  const [addr, bits] = text.split('/');
  const base = addr!.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { base, bits: Number(bits) };
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const bits = Math.min(x.bits, y.bits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (x.base & mask) >>> 0 === (y.base & mask) >>> 0;
}
