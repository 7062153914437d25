import { testbedSpecSchema } from '../../src/config/schema.js';
import { MatrixError, buildMatrix, splitList } from '../../src/experiments/matrix.js';

const spec = testbedSpecSchema.parse({});

describe('the experiment matrix', () => {
  it('is every pool × flavor × load from the spec with its repetitions, then fio per pool', () => {
    const m = buildMatrix(spec);
    expect(m.cells.filter((c) => c.kind === 'migration')).toHaveLength(2 * 4 * 2);
    expect(m.cells[0]).toEqual({ kind: 'migration', pool: 'filestore', flavor: 'small', load: 'none', reps: 20 });
    expect(m.cells.filter((c) => c.kind === 'fio').map((c) => `${c.pool}/${c.kind === 'fio' ? c.job : ''}`)).toEqual([
      'filestore/randwrite',
      'filestore/randread',
      'bluestore/randwrite',
      'bluestore/randread',
    ]);
    expect(m.fioRepeats).toBe(3);
  });

  it('takes the CLI options over the spec', () => {
    const m = buildMatrix(spec, {
      pools: splitList('bluestore'),
      flavors: splitList('small, large'),
      loads: splitList('memory'),
      reps: 2,
      noFio: true,
    });
    expect(m.cells).toEqual([
      { kind: 'migration', pool: 'bluestore', flavor: 'small', load: 'memory', reps: 2 },
      { kind: 'migration', pool: 'bluestore', flavor: 'large', load: 'memory', reps: 2 },
    ]);
  });

  it('fails on an unknown pool, flavor or load, naming the option, the value and what is allowed', () => {
    expect(() => buildMatrix(spec, { pools: ['ssd'] })).toThrowErrorMatchingInlineSnapshot(
      `[MatrixError: --pools: unknown "ssd"; allowed: filestore, bluestore]`,
    );
    expect(() => buildMatrix(spec, { flavors: ['tiny'] })).toThrow('--flavors: unknown "tiny"; allowed: small, medium, large, xlarge');
    expect(() => buildMatrix(spec, { loads: ['cpu'] })).toThrow('--load: unknown "cpu"; allowed: none, memory, disk, memory+disk');
    expect(() => buildMatrix(spec, { reps: 0 })).toThrow(MatrixError);
  });
});
