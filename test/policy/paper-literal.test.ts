import { decide } from '../../src/policy/decide.js';
import { decideLiteral } from '../../src/policy/paper-literal.js';
import { syntheticCluster } from '../../src/policy/synthetic-cluster.js';
import { settings } from './fixtures.js';

describe('the literal transcription of the pseudo-code', () => {
  it.each([1, 2, 3])('plans the same migrations as paper mode on synthetic cluster %d', (seed) => {
    // GIVEN a 300-VM, 30-host cluster
    const snap = syntheticCluster(300, 30, seed);
    const s = settings({ mode: 'paper' });
    // WHEN both decide
    const fast = decide(snap, s).actions.flatMap((a) => (a.kind === 'migrate' ? [{ vmId: a.vmId, from: a.from, to: a.to }] : []));
    const literal = decideLiteral(snap, s);
    // THEN the migrations are identical, and there are some
    expect(fast.length).toBeGreaterThan(5);
    expect(fast).toEqual(literal);
  });
});
