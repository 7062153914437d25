/**
 * Writes a rendered tree: a file only when its content (or mode) changed, as projen does, plus
 * `manifest.json` (every file's sha256; hashes only, never contents). Returns what changed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RenderedFile } from './render-files.js';

export const MANIFEST_FILE = 'manifest.json';

export interface ManifestEntry {
  readonly path: string;
  readonly sha256: string;
  readonly mode: string;
}

export interface Manifest {
  /** sha256 of the spec the tree was rendered from (specHash). */
  readonly spec_sha256: string;
  readonly target: string;
  readonly files: readonly ManifestEntry[];
}

export type FileChange = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  readonly changes: readonly { readonly path: string; readonly change: FileChange }[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes `content` to `file` with `mode` unless it already holds exactly that. */
export function writeIfChanged(file: string, content: string, mode: number): FileChange {
  if (existsSync(file)) {
    const same = readFileSync(file, 'utf8') === content;
    if (same && (statSync(file).mode & 0o777) === mode) return 'unchanged';
    if (same) {
      chmodSync(file, mode);
      return 'updated';
    }
  }
  const existed = existsSync(file);
  mkdirSync(dirname(file), { recursive: true });
  // Write beside it and rename: a reader never sees half a file, and a secret file is never briefly world-readable.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  return existed ? 'updated' : 'created';
}

export function manifestOf(files: readonly RenderedFile[], specSha256: string, target: string): Manifest {
  return {
    spec_sha256: specSha256,
    target,
    files: files.map((f) => ({ path: f.path, sha256: sha256(f.content), mode: f.mode.toString(8).padStart(4, '0') })),
  };
}

export function writeTree(outDir: string, files: readonly RenderedFile[], manifest: Manifest): WriteResult {
  const changes = files.map((f) => ({ path: f.path, change: writeIfChanged(join(outDir, f.path), f.content, f.mode) }));
  changes.push({ path: MANIFEST_FILE, change: writeIfChanged(join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', 0o644) });
  return { changes };
}
