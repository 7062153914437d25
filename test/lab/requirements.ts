/** Why a lab test cannot run here (undefined: it can). CI runs as root with every package installed. */
import { existsSync } from 'node:fs';

const PATH_DIRS = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');

export function hasBinary(name: string): boolean {
  return PATH_DIRS.some((d) => existsSync(`${d}/${name}`));
}

export function missingFor(binaries: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tc)';
  const missing = binaries.filter((b) => !hasBinary(b));
  return missing.length ? `needs ${missing.join(', ')} (scripts/install-system-deps.sh)` : undefined;
}
