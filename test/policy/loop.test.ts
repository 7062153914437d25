import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLeaderLock } from '../../src/policy/leader.js';
import { backoffDelay, startLoop, type Clock, type LoopEvent } from '../../src/policy/loop.js';

/** The system clock on vitest's fake timers, with a fixed jitter (random 0.5 → factor 1.0). */
const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => 0.5,
};

describe('backoffDelay', () => {
  it.each([
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [3, 0.5, 4000],
    [20, 0.5, 300_000],
    [1, 0, 500],
    [1, 0.999, 1499],
  ])('attempt %d with random %d waits %d ms', (attempt, r, ms) => {
    expect(backoffDelay(attempt, r)).toBe(ms);
  });
});

describe('the policy loop', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('backs off after errors, then recovers and resets the attempts', async () => {
    // GIVEN a cycle that fails twice, then works
    const events: LoopEvent[] = [];
    let calls = 0;
    const loop = startLoop({
      intervalMs: 60_000,
      clock: fakeClock,
      onEvent: (e) => events.push(e),
      cycle: async () => {
        calls += 1;
        if (calls <= 2) throw new Error(`nova said 503 (${calls})`);
      },
    });
    // WHEN time passes: 1 s, then 2 s of backoff, then the healthy interval
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(4);
    await loop.stop('test over');
    // THEN the events tell the story
    expect(events.filter((e) => e.type === 'cycle:error').map((e) => e.type === 'cycle:error' && [e.attempt, e.retryInMs, e.error])).toEqual([
      [1, 1000, 'nova said 503 (1)'],
      [2, 2000, 'nova said 503 (2)'],
    ]);
    expect(events.filter((e) => e.type === 'sleep').map((e) => e.type === 'sleep' && e.ms)).toEqual([1000, 2000, 60_000, 60_000]);
    expect(events.at(-1)).toMatchObject({ type: 'loop:stop', reason: 'test over' });
  });

  it('stops at once during a sleep, and stop() is idempotent', async () => {
    const events: LoopEvent[] = [];
    const ac = new AbortController();
    let calls = 0;
    const loop = startLoop({
      intervalMs: 600_000,
      clock: fakeClock,
      signal: ac.signal,
      onEvent: (e) => events.push(e),
      cycle: async () => void (calls += 1),
    });
    await vi.advanceTimersByTimeAsync(10);
    // WHEN SIGTERM arrives mid-sleep
    ac.abort('SIGTERM');
    await loop.done;
    await loop.stop();
    // THEN no further cycle runs and the loop ended once
    await vi.advanceTimersByTimeAsync(2_000_000);
    expect(calls).toBe(1);
    expect(events.filter((e) => e.type === 'loop:stop')).toEqual([expect.objectContaining({ reason: 'SIGTERM' })]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a running cycle finish before it stops', async () => {
    let finished = false;
    const loop = startLoop({
      intervalMs: 1000,
      clock: fakeClock,
      cycle: async () => {
        await new Promise((r) => setTimeout(r, 5000));
        finished = true;
      },
    });
    await vi.advanceTimersByTimeAsync(100);
    const stopping = loop.stop();
    await vi.advanceTimersByTimeAsync(5000);
    await stopping;
    expect(finished).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('survives a throwing event listener', async () => {
    const loop = startLoop({
      intervalMs: 1000,
      clock: fakeClock,
      maxCycles: 2,
      onEvent: () => {
        throw new Error('bad logger');
      },
      cycle: async () => {},
    });
    await vi.advanceTimersByTimeAsync(1000);
    await expect(loop.done).resolves.toBeUndefined();
  });
});

describe('the leader lock', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'policy-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one instance lead and keeps a second one out', () => {
    const path = join(dir, 'policy.lock');
    // GIVEN a first instance holding the lock (this process's PID: alive)
    const first = acquireLeaderLock(path);
    expect(first.ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    // WHEN a second instance, with another PID, tries
    const second = acquireLeaderLock(path, process.pid + 1);
    // THEN it is told who leads
    expect(second).toEqual({ ok: false, holderPid: process.pid, path });
    // AND after release it can lead
    if (first.ok) first.lock.release();
    expect(acquireLeaderLock(path, process.pid + 1).ok).toBe(true);
  });

  it('takes over a lock left by a dead process', () => {
    const path = join(dir, 'policy.lock');
    writeFileSync(path, '999999\n');
    const r = acquireLeaderLock(path, process.pid, () => false);
    expect(r.ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
  });
});
