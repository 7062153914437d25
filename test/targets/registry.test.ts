import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../../src/cli/commands/index.js';
import { CLOUD_PHASES, LAB_PHASES } from '../../src/targets/index.js';
import { treeHash } from '../../src/util/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe.each([
  ['LAB_PHASES', LAB_PHASES],
  ['CLOUD_PHASES', CLOUD_PHASES],
] as const)('the phase registry %s', (_, phases) => {
  it('gives each phase its own id and name', () => {
    expect(new Set(phases.map((p) => p.id)).size).toBe(phases.length);
    expect(new Set(phases.map((p) => p.name)).size).toBe(phases.length);
  });

  it('names only sources that exist (a missing one would silently hash as nothing)', () => {
    expect(phases.flatMap((p) => p.sources.filter((s) => !existsSync(join(ROOT, s))).map((s) => `${p.name}: ${s}`))).toEqual([]);
  });
});

describe('the CLI reads the registries', () => {
  it('has `testbed lab <name> up|down` for each lab phase, in order', () => {
    const labPhases = commands.filter((c) => c.name[0] === 'lab' && c.usage.endsWith(' up|down [--spec FILE]')).map((c) => c.name[1]);
    expect(labPhases).toEqual(LAB_PHASES.map((p) => p.name));
  });

  it('offers the cloud phases to `testbed phase`', () => {
    const phase = commands.find((c) => c.name.join(' ') === 'phase');
    expect(phase?.usage).toContain(`testbed phase <${CLOUD_PHASES.map((p) => p.name).join('|')}>`);
  });
});

describe('treeHash', () => {
  it('hashes a single file as a source, as well as folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'testbed-tree-hash-'));
    try {
      mkdirSync(join(root, 'dir'));
      writeFileSync(join(root, 'dir', 'a.ts'), 'a');
      writeFileSync(join(root, 'one.ts'), '1');
      const before = treeHash(root, ['dir', 'one.ts']);
      expect(treeHash(root, ['dir'])).not.toBe(before);
      writeFileSync(join(root, 'one.ts'), '2');
      expect(treeHash(root, ['dir', 'one.ts'])).not.toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
