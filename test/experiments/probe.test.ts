import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { GapProbe, longestGap, parseProbeUrl } from '../../src/experiments/probe.js';

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('ok'));
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(chunk.toString().trim()) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the longest gap between successful probes', () => {
  it('is the largest difference between consecutive success times, in any order', () => {
    expect(longestGap([30, 0, 10, 20, 340, 350])).toEqual({ gap: 310, startedAt: 30 });
  });

  it('is NaN with fewer than two successes', () => {
    expect(longestGap([5]).gap).toBeNaN();
  });

  it('fails on a target that is neither http:// nor tcp://HOST:PORT', () => {
    expect(() => parseProbeUrl('ftp://x/')).toThrowErrorMatchingInlineSnapshot(
      `[Error: probe target "ftp://x/" has an unsupported form; allowed: http://HOST[:PORT]/PATH or tcp://HOST:PORT]`,
    );
  });

  it('fails on an interval above 10 ms', () => {
    expect(() => new GapProbe({ kind: 'tcp', host: '127.0.0.1', port: 1 }, { intervalMs: 20 })).toThrow(/allowed: 1\.\.10 ms/);
  });
});

describe('the probe against a real HTTP server on 127.0.0.1', () => {
  let server: { child: ChildProcess; port: number };
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => {
    if (server.child.pid && server.child.exitCode === null) process.kill(server.child.pid, 'SIGKILL');
  });

  it('measures an HTTP server paused for 400 ms as a gap of about 400 ms', async () => {
    // GIVEN a probe at 10 ms intervals against a running server
    const probe = new GapProbe({ kind: 'http', host: '127.0.0.1', port: server.port }, { intervalMs: 10 });
    probe.start();
    await sleep(300);
    // WHEN the server process is stopped for 400 ms (as a VM is during stop-and-copy)
    process.kill(server.child.pid!, 'SIGSTOP');
    await sleep(400);
    process.kill(server.child.pid!, 'SIGCONT');
    await sleep(300);
    const r = await probe.stop();
    // THEN the longest gap is the pause: never shorter (nothing answers while the server is stopped) less one
    // interval, and longer only by scheduling noise (on a loaded 2-core machine the server answers late before the pause
    // too, and the probe's own timers lag: both widen the gap)
    const why = JSON.stringify(r);
    expect(r.ok, why).toBeGreaterThan(20);
    expect(r.longest_gap_ms, why).toBeGreaterThanOrEqual(400 - 15);
    expect(r.longest_gap_ms, why).toBeLessThan(400 + 250 + r.max_timer_lag_ms);
    expect(r.gap_started_ms, why).toBeGreaterThan(100);
  });

  it('sees no long gap when nothing is paused', async () => {
    const probe = new GapProbe({ kind: 'tcp', host: '127.0.0.1', port: server.port }, { intervalMs: 5 });
    probe.start();
    await sleep(400);
    const r = await probe.stop();
    expect(r.failed).toBe(0);
    // well under the 400 ms pause above, even on a loaded machine
    expect(r.longest_gap_ms, JSON.stringify(r)).toBeLessThan(250);
  });
});
