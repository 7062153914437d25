/** tbf needs a bucket of at least rate/HZ; keep it above one 64 KiB GSO segment. */
export function tbfArgs(linkMbit: number): string[] {
  const burstBytes = Math.max(131072, Math.ceil((linkMbit * 1e6) / 8 / 250));
  return ['tbf', 'rate', `${linkMbit}mbit`, 'burst', String(burstBytes), 'latency', '100ms'];
}
