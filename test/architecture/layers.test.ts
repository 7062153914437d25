/**
 * The layers of docs/architecture.md, held against every import in src/, stacks/, bench/ and bin/:
 * (a) another folder is imported through its face (index.ts) only, (b) imports run down the layers,
 * never sideways or up. The layer list is read from the doc, so the doc and the code cannot drift apart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCANNED = ['src', 'stacks', 'bench', 'bin'];

/** Imports of another folder's file other than its face, each with its reason (docs/architecture.md, "Direct imports"). */
const DIRECT: Readonly<Record<string, string>> = {
  'src/report/report.ts -> src/experiments/results-store.ts':
    'the report loads the results store alone: the experiments face would load the spec schema and zod (commit d7205ec)',
};

/** The numbered list under "## Layers, bottom-up": each line's `folder`s, bottom first. */
export function parseLayers(markdown: string): string[][] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers, bottom-up'));
  if (!section) throw new Error('docs/architecture.md: no "## Layers, bottom-up" section');
  return section
    .split('\n')
    .filter((l) => /^\d+\. /.test(l))
    .map((l) => [...l.split(':')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

/** The folder a file belongs to: src/<name> for the sources, else its top folder. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'src' ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
}

/** What breaks the rules, one line each. `faces`: the face of each folder (its index file). */
export function violations(edges: readonly ImportEdge[], layers: readonly (readonly string[])[], faces: ReadonlyMap<string, string>): string[] {
  const layerOf = new Map(layers.flatMap((folders, i) => folders.map((f) => [f, i + 1] as const)));
  const problems: string[] = [];
  for (const e of edges) {
    const [a, b] = [folderOf(e.from), folderOf(e.to)];
    if (a === b) continue;
    const [la, lb] = [layerOf.get(a), layerOf.get(b)];
    if (la === undefined) problems.push(`${e.from}: its folder ${a} is in no layer of docs/architecture.md`);
    else if (lb === undefined) problems.push(`${e.from} imports '${e.specifier}': ${b} is in no layer of docs/architecture.md`);
    else if (lb >= la)
      problems.push(
        `${e.from} imports '${e.specifier}': ${a} (layer ${la}) may import only folders below it, and ${b} is layer ${lb}${lb === la ? ' (beside it)' : ' (above it)'}`,
      );
    if (e.to !== faces.get(b) && !DIRECT[`${e.from} -> ${e.to}`])
      problems.push(
        `${e.from} imports '${e.specifier}': another folder's internals; import ${faces.get(b) ?? `${b}/index.ts (which does not exist)`} instead`,
      );
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry) ? [path] : [];
  });
}

/** Every relative import (static, re-export or dynamic) of the project's own files in the scanned folders. */
function projectImports(): ImportEdge[] {
  return SCANNED.flatMap(sourceFiles).flatMap((from) =>
    ts
      .preProcessFile(readFileSync(join(ROOT, from), 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => {
        const to = normalize(join(dirname(from), specifier)).replace(/\.js$/, '.ts');
        return { from, to, specifier };
      })
      .filter((e) => !e.to.startsWith('.gen/') && !e.to.startsWith('..')),
  );
}

const layers = parseLayers(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));
const faces = new Map(
  layers.flat().map((folder) => [folder, ['index.ts', 'index.mjs'].map((f) => `${folder}/${f}`).find((f) => existsSync(join(ROOT, f))) ?? '']),
);

describe('the layers of docs/architecture.md', () => {
  it('lists every folder of src/, stacks/, bench/ and bin/ once', () => {
    const folders = [...new Set(SCANNED.flatMap(sourceFiles).map(folderOf))].sort();
    expect(layers.flat().sort()).toEqual(folders);
  });

  it('every folder that others import has a face (index.ts)', () => {
    const imported = new Set(
      projectImports()
        .filter((e) => folderOf(e.from) !== folderOf(e.to))
        .map((e) => folderOf(e.to)),
    );
    expect([...imported].filter((f) => !faces.get(f))).toEqual([]);
  });

  it('no import reaches into another folder or runs up the layers', () => {
    const edges = projectImports();
    expect(edges.length).toBeGreaterThan(100);
    expect(violations(edges, layers, faces)).toEqual([]);
  });

  it('each direct import is still made (a stale exception is removed)', () => {
    const made = new Set(projectImports().map((e) => `${e.from} -> ${e.to}`));
    expect(Object.keys(DIRECT).filter((k) => !made.has(k))).toEqual([]);
  });

  it('fails on an internal import and on an import up or beside the layers', () => {
    const demo = [['a'], ['b', 'c'], ['d']];
    const demoFaces = new Map([
      ['a', 'a/index.ts'],
      ['b', 'b/index.ts'],
      ['c', 'c/index.ts'],
      ['d', 'd/index.ts'],
    ]);
    const edges: ImportEdge[] = [
      { from: 'd/x.ts', to: 'b/index.ts', specifier: '../b/index.js' },
      { from: 'd/x.ts', to: 'b/y.ts', specifier: '../b/y.js' },
      { from: 'a/x.ts', to: 'd/index.ts', specifier: '../d/index.js' },
      { from: 'b/x.ts', to: 'c/index.ts', specifier: '../c/index.js' },
      { from: 'b/x.ts', to: 'b/y.ts', specifier: './y.js' },
    ];
    expect(violations(edges, demo, demoFaces)).toEqual([
      `d/x.ts imports '../b/y.js': another folder's internals; import b/index.ts instead`,
      `a/x.ts imports '../d/index.js': a (layer 1) may import only folders below it, and d is layer 3 (above it)`,
      `b/x.ts imports '../c/index.js': b (layer 2) may import only folders below it, and c is layer 2 (beside it)`,
    ]);
  });
});

describe("the report's start-up", () => {
  it("loading the report's face loads neither zod nor the spec schema", () => {
    // A resolve hook (run by Node for every module, tsx's included) writes each URL resolved.
    const dir = mkdtempSync(join(tmpdir(), 'testbed-report-load-'));
    try {
      const log = join(dir, 'resolved.txt');
      const hooks = join(dir, 'hooks.mjs');
      writeFileSync(
        hooks,
        `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
      );
      const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
      execFileSync(
        process.execPath,
        [
          '--import',
          `data:text/javascript,${encodeURIComponent(register)}`,
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/report/index.ts')).href)})`,
        ],
        { cwd: ROOT, input: '', stdio: ['pipe', 'ignore', 'inherit'] },
      );
      const loaded = readFileSync(log, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:'))
        .map((u) => relative(ROOT, fileURLToPath(u)));
      expect(loaded).toContain('src/experiments/results-store.ts');
      expect(loaded.filter((f) => f.includes('node_modules/zod/') || f === 'src/config/schema.ts' || f === 'src/config/index.ts')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
