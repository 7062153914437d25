import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** sha256 over the paths and contents of every file under `dirs` (folders, sorted, or single files), so any edit changes it. */
export function treeHash(root: string, dirs: readonly string[]): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (!statSync(path).isDirectory()) {
      hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
      return;
    }
    for (const entry of readdirSync(path).sort()) walk(join(path, entry));
  };
  for (const d of dirs) walk(join(root, d));
  return hash.digest('hex');
}
