import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { missing } from './requirements.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('what an integration suite needs', () => {
  it('names every missing binary and file, and how to get the binaries', () => {
    const why = missing({ binaries: ['sh', 'no-such-tool-x1', 'no-such-tool-x2'], files: { '/no/such/dir': 'the trace day' } });
    expect(why).toBe('needs no-such-tool-x1, no-such-tool-x2 on PATH (scripts/install-system-deps.sh installs them); the trace day at /no/such/dir');
  });

  it('is nothing when every need is met', () => {
    expect(missing({ binaries: ['sh'], files: { '/': 'the root folder' } })).toBeUndefined();
  });

  it('is declared through describeWhere/itWhere in every test file, so no skip can pass CI silently', () => {
    const raw = testFiles('test')
      .filter((f) => !f.startsWith(join('test', 'support', 'requirements')))
      .filter((f) => /\.(skipIf|runIf)\(|\b(describe|it|test)\.skip\(|\bctx\.skip\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative('.', f));
    expect(raw).toEqual([]);
  });
});
