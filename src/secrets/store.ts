/**
 * The secrets file: `.testbed/<spec.name>/secrets.json`, mode 0600 in a 0700 folder.
 * Created on first use, then only read (and completed if the project added a secret since).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { completeSecrets, secretsSchema, type GenerateOptions, type Secrets } from './secrets.js';

/** The secrets file of a testbed, relative to `root` (the working directory by default). */
export function secretsPath(specName: string, root = '.'): string {
  return join(root, '.testbed', specName, 'secrets.json');
}

/** Bad or unreadable secrets file: names the file and the key path, never the value. */
export class SecretsFileError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SecretsFileError';
  }
}

function writePrivate(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  // A temporary file left by a crashed run may have another mode: never write secrets into it.
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export interface LoadedSecrets {
  readonly secrets: Secrets;
  /** True when the file was created or completed by this call. */
  readonly written: boolean;
}

export function loadOrCreateSecrets(file: string, options: GenerateOptions = {}): LoadedSecrets {
  if (!existsSync(file)) {
    const secrets = completeSecrets(undefined, options);
    writePrivate(file, JSON.stringify(secrets, null, 2) + '\n');
    return { secrets, written: true };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SecretsFileError(
      file,
      `not valid JSON (${(err as Error).message.split('\n')[0]}); allowed: the file \`testbed render\` wrote. Restore it from a backup; deleting it makes new secrets, which a deployed testbed will not accept`,
    );
  }
  const parsed = secretsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new SecretsFileError(file, `invalid secrets file:\n  - ${issues.join('\n  - ')}`);
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const secrets = completeSecrets(parsed.data, options);
  const text = JSON.stringify(secrets, null, 2) + '\n';
  if (text !== JSON.stringify(parsed.data, null, 2) + '\n') {
    writePrivate(file, text);
    return { secrets, written: true };
  }
  return { secrets, written: false };
}
