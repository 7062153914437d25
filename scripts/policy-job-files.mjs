#!/usr/bin/env node
// The files the policy job needs on its host, derived so that the list cannot drift: every local
// module that `bin/testbed.mjs` reaches through its imports (static, and dynamic ones with a literal
// path), as esbuild resolves them (the import graph of its metafile; nothing is bundled or written),
// plus package.json and package-lock.json for `npm ci --omit=dev`.
//
//   node scripts/policy-job-files.mjs                   prints the paths, one a line, relative to the checkout
//   node scripts/policy-job-files.mjs --stage DIR       copies exactly those files into DIR (emptied first)
//   node scripts/policy-job-files.mjs --archive FILE    packs exactly those files into FILE (.tar.gz, sorted,
//                                                       mtime 0, owner root) and prints the paths
//
// The migration_policy role packs the job with --archive and unpacks it on the host (one transfer:
// a copy of 100-odd files one by one takes minutes); test/playbooks/migration-policy-job.test.ts
// starts the job from what the role installed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'bin/testbed.mjs';
const ALWAYS = ['package.json', 'package-lock.json'];

/** The checkout-relative paths of the job's files, sorted. */
export async function policyJobFiles(repo = REPO) {
  const r = await build({
    absWorkingDir: repo,
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  const local = Object.keys(r.metafile.inputs).filter((p) => !p.startsWith('node_modules/') && !p.includes(':'));
  return [...new Set([...local, ...ALWAYS])].sort();
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const files = await policyJobFiles();
  const stage = (dir) => {
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      cpSync(join(REPO, f), join(dir, f));
    }
  };
  if (args[0] === '--stage' && args[1] && args.length === 2) {
    stage(resolve(args[1]));
    console.log(`staged ${files.length} files of the policy job in ${resolve(args[1])}`);
  } else if (args[0] === '--archive' && args[1] && args.length === 2) {
    const tmp = mkdtempSync(join(tmpdir(), 'policy-job-'));
    try {
      stage(join(tmp, 'job'));
      // GNU tar: the same files give the same members (names, order, times, owners) every time.
      execFileSync('tar', [
        '--sort=name',
        '--mtime=@0',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '-czf',
        resolve(args[1]),
        '-C',
        join(tmp, 'job'),
        ...files,
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    for (const f of files) console.log(f);
  } else if (args.length === 0) {
    for (const f of files) console.log(f);
  } else {
    console.error('usage: node scripts/policy-job-files.mjs [--stage DIR | --archive FILE.tar.gz]');
    process.exit(2);
  }
}
