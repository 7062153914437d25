import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FioOutputError, fioEnv, fioRbdArgs, parseFioJson } from '../../src/experiments/fio.js';
import { describeWhere, missing } from '../support/requirements.js';

/** Runs the real fio for 1 s against a 32 MiB temp file with the measured job's options, engine swapped to libaio. */
function realFio(rw: 'randwrite' | 'randread', dir: string): string {
  const args = fioRbdArgs({ pool: 'unused', image: 'unused' }, rw, { block_size: '4k', iodepth: 32, runtime_s: 1, ramp_s: 0 })
    .filter((a) => !/^--(ioengine|clientname|pool|rbdname)=/.test(a))
    .concat(['--ioengine=libaio', `--filename=${join(dir, 'data')}`, '--size=32M']);
  const r = spawnSync('fio', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`fio failed: ${r.stderr}`);
  return r.stdout;
}

describe('the fio job for RBD', () => {
  it('is 4K random I/O at queue depth 32 through librbd, time-based, with the p99.99 percentile asked for', () => {
    const args = fioRbdArgs({ pool: 'bluestore', image: 'fio-bluestore' }, 'randwrite', { block_size: '4k', iodepth: 32, runtime_s: 30, ramp_s: 2 });
    expect(args).toEqual(
      expect.arrayContaining([
        '--ioengine=rbd',
        '--clientname=admin',
        '--pool=bluestore',
        '--rbdname=fio-bluestore',
        '--rw=randwrite',
        '--bs=4k',
        '--iodepth=32',
        '--runtime=30',
        '--ramp_time=2',
        '--output-format=json',
      ]),
    );
    expect(args.find((a) => a.startsWith('--percentile_list='))).toContain('99.99');
  });

  it('turns the RBD cache off through the Ceph client environment, not through a fio option', () => {
    expect(fioEnv('/lab/ceph.conf')).toEqual({ CEPH_CONF: '/lab/ceph.conf', CEPH_ARGS: '--rbd_cache=false' });
    expect(fioRbdArgs({ pool: 'p', image: 'i' }, 'randread', { block_size: '4k', iodepth: 32, runtime_s: 1, ramp_s: 0 }).join(' ')).not.toMatch(
      /cache/,
    );
  });
});

describeWhere(missing({ binaries: ['fio'] }), 'the fio JSON parser on real fio output', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fio-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const rw of ['randwrite', 'randread'] as const) {
    it(`reads IOPS, MiB/s and completion latencies of a ${rw} job`, () => {
      // GIVEN fio's JSON output of a real 1 s job
      const text = realFio(rw, dir);
      const doc = JSON.parse(text);
      const dirStats = doc.jobs[0][rw === 'randwrite' ? 'write' : 'read'];
      // WHEN it is parsed
      const s = parseFioJson(text);
      // THEN the figures are fio's own, in the report's units
      expect(s.iops).toBeCloseTo(dirStats.iops, 6);
      expect(s.iops).toBeGreaterThan(10);
      expect(s.mib_s).toBeCloseTo(dirStats.bw_bytes / 1048576, 6);
      expect(Math.abs(s.mib_s * 1048576 - s.iops * 4096) / (s.iops * 4096)).toBeLessThan(0.02);
      expect(s.lat_mean_ms).toBeCloseTo(dirStats.clat_ns.mean / 1e6, 9);
      expect(s.lat_p99_ms).toBeGreaterThan(0);
      expect(s.lat_p9999_ms).toBeGreaterThanOrEqual(s.lat_p99_ms);
      expect(s.runtime_s).toBeGreaterThan(0.5);
    });
  }

  it('skips the warnings fio prints before its JSON', () => {
    const text = realFio('randwrite', dir);
    expect(parseFioJson(`fio: some warning\n${text}`).iops).toBe(parseFioJson(text).iops);
  });
});

describe('the fio JSON parser on bad input', () => {
  it('fails on output without JSON', () => {
    expect(() => parseFioJson('fio: failed to connect to cluster')).toThrowErrorMatchingInlineSnapshot(
      `[FioOutputError: fio output: no JSON object found]`,
    );
  });

  it('fails naming the missing percentile', () => {
    const doc = {
      jobs: [
        {
          'job options': { rw: 'randwrite' },
          write: { iops: 1, bw_bytes: 4096, runtime: 1000, clat_ns: { mean: 1, percentile: { '99.000000': 5 } } },
        },
      ],
    };
    expect(() => parseFioJson(JSON.stringify(doc))).toThrow(FioOutputError);
    expect(() => parseFioJson(JSON.stringify(doc))).toThrow(/jobs\[0\]\.write\.clat_ns\.percentile has no "99\.990000"/);
  });
});
