import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import { loadSpec } from '../../src/config/load.js';
import { comparePolicies } from '../../src/policy/compare.js';
import { choosePrecopy } from '../../src/policy/precopy-calibration.js';
import { policyFromSpec, validatePolicy } from '../../src/policy/settings.js';
import { readTraces } from '../../src/policy/traces.js';
import { startNovaContract, type ContractServer } from './nova-contract-server.js';
import { describeWhere } from '../support/requirements.js';

/** The sample day, read in place (never copied into the repo); TESTBED_PLANETLAB_DIR overrides. */
const PLANETLAB = process.env.TESTBED_PLANETLAB_DIR ?? resolve('../shared/traces/planetlab/20110303');
const havePlanetLab = existsSync(PLANETLAB);
if (!havePlanetLab) console.warn(`SKIPPED policy simulate on PlanetLab: ${PLANETLAB} is absent`);

async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('testbed policy', () => {
  let dir: string;
  let spec: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
    spec = join(dir, 'testbed.yaml');
    writeFileSync(spec, 'policy:\n  sample_period_s: 60\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('plan --metrics', () => {
    const recorded = {
      now: '2026-01-01T12:00:00Z',
      hosts: [
        { name: 'c1', vcpus: 16, memory_mib: 65536, cpu_pct: 30, ram_pct: 30 },
        { name: 'c2', vcpus: 16, memory_mib: 65536, cpu_pct: 20, ram_pct: 20 },
      ],
      vms: [
        { id: 'web-1', host: 'c1', cpu_pct: 12, ram_pct: 20, vcpus: 2, memory_mib: 2048, dirty_bytes_per_s: 1048576, lb: 'web/web-1' },
        { id: 'web-2', host: 'c2', cpu_pct: 5, ram_pct: 8, vcpus: 2, memory_mib: 2048, dirty_bytes_per_s: 1048576 },
        { id: 'db-1', host: 'c1', cpu_pct: 90, ram_pct: 50, vcpus: 2, memory_mib: 2048, dirty_bytes_per_s: 1048576 },
      ],
    };

    it('prints the decision as JSON, every VM with a reason', async () => {
      const f = join(dir, 'metrics.json');
      writeFileSync(f, JSON.stringify(recorded));
      const r = await cli(['policy', 'plan', '--json', '--metrics', f, '--spec', spec]);
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.out);
      expect(plan.mode).toBe('consolidate');
      expect(plan.decisions.map((d: { vmId: string; state: number }) => [d.vmId, d.state])).toEqual([
        ['web-1', 1],
        ['web-2', 1],
        ['db-1', 3],
      ]);
      expect(plan.actions.map((a: { kind: string }) => a.kind)).toEqual(['weight', 'migrate', 'create']);
    });

    it('prints a table by default', async () => {
      const f = join(dir, 'metrics.json');
      writeFileSync(f, JSON.stringify(recorded));
      const r = await cli(['policy', 'plan', '--metrics', f, '--spec', spec, '--mode', 'paper']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^mode paper/);
      expect(r.out).toMatch(/VM\s+HOST\s+STATE\s+REASON/);
      expect(r.out).toMatch(/MIGRATE\s+web-1 c1 -> c2/);
    });

    it('fails with exit 2 naming the file, key path and value for bad metrics', async () => {
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify({ ...recorded, vms: [{ ...recorded.vms[0], cpu_pct: 140 }] }));
      const r = await cli(['policy', 'plan', '--metrics', f, '--spec', spec]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${f}: vms[0].cpu_pct: Number must be less than or equal to 100; got 140`);
    });

    it('fails with exit 2 on an unknown mode', async () => {
      const r = await cli(['policy', 'plan', '--metrics', 'x.json', '--mode', 'greedy', '--spec', spec]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--mode: got "greedy"; allowed: safe, paper, consolidate/);
    });
  });

  describe('against the Nova contract server', () => {
    let nova: ContractServer;
    beforeAll(async () => (nova = await startNovaContract()));
    afterAll(async () => nova.close());

    it('plans from live Nova metrics (two diagnostics readings)', async () => {
      const r = await cli(['policy', 'plan', '--json', '--gap-s', '0.3', '--spec', spec], nova.env);
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.out);
      expect(plan.decisions).toHaveLength(3);
      // Nova cannot tell what a guest's RAM use is (diagnostics give the allocation): every VM is left alone, saying why.
      expect(plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^3 VM\(s\): RAM use unknown/)]));
      expect(plan.decisions.every((d: { state: string; reason: string }) => d.state === 'skipped' && /metrics missing/.test(d.reason))).toBe(true);
      expect(r.out).not.toContain(nova.env.OS_PASSWORD);
    });

    it('runs dry: plans every cycle, logs JSON events, changes nothing', async () => {
      const writes = () => nova.state.log.filter((l) => l.method !== 'GET' && !l.path.includes('auth/tokens')).length;
      const before = writes();
      const lock = join(dir, 'run.lock');
      const r = await cli(['policy', 'run', '--dry-run', '--cycles', '2', '--interval-s', '0.3', '--lock', lock, '--spec', spec], nova.env);
      expect(r.code).toBe(0);
      const events = r.out.split('\n').map((l) => JSON.parse(l));
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['job:start', 'cycle:start', 'plan', 'cycle:ok', 'loop:stop']));
      expect(events.filter((e) => e.type === 'plan')).toHaveLength(2);
      expect(events.filter((e) => e.type === 'plan').every((e) => e.dryRun === true)).toBe(true);
      // THEN only reads (and the Keystone POST) reached the cloud, and the lock is gone
      expect(writes()).toBe(before);
      expect(nova.state.log.some((l) => l.path.endsWith('/diagnostics'))).toBe(true);
      expect(existsSync(lock)).toBe(false);
      expect(r.out).not.toContain(nova.env.OS_PASSWORD);
    });

    it('does not act when another live instance holds the lock', async () => {
      const lock = join(dir, 'held.lock');
      writeFileSync(lock, `${process.ppid}\n`);
      const r = await cli(['policy', 'run', '--dry-run', '--cycles', '1', '--lock', lock, '--spec', spec], nova.env);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(new RegExp(`another instance \\(PID ${process.ppid}\\) holds`));
      expect(JSON.parse(r.out)).toMatchObject({ type: 'leader:denied', holderPid: process.ppid });
    });
  });

  it('fails with exit 2 when no credentials are found', async () => {
    const r = await cli(['policy', 'plan', '--spec', spec], { OS_AUTH_URL: '', OS_USERNAME: '', OS_PASSWORD: '', OS_PROJECT_NAME: '' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no clouds.yaml found .* and OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME not set/);
  });

  describeWhere(
    havePlanetLab ? undefined : `needs the PlanetLab day at ${PLANETLAB} (../shared/traces, or TESTBED_PLANETLAB_DIR)`,
    'simulate on the PlanetLab sample day',
    () => {
      it('replays 1052 VMs on 800 hosts and prints the Beloglazov & Buyya metrics and a plot', async () => {
        const svg = join(dir, 'active.svg');
        const r = await cli(['policy', 'simulate', '--trace', PLANETLAB, '--json', '--svg', svg, '--spec', spec]);
        expect(r.code).toBe(0);
        const s = JSON.parse(r.out);
        expect(s).toMatchObject({ scenario: 'planetlab-800', mode: 'consolidate', vms: 1052, hosts: 800, steps: 288, unplaced: 0 });
        expect(s.activeHosts).toHaveLength(288);
        expect(s.migrations).toBeGreaterThan(0);
        // Energy lies between all-idle and all-800-hosts-at-full-power (NPA 2410.8 kWh).
        expect(s.energyKWh).toBeGreaterThan(100);
        expect(s.energyKWh).toBeLessThan(2410.8);
        expect(s.slav).toBeCloseTo(s.slatah * s.pdm, 12);
        expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>/);
      });

      it("replays with the same settings as compare's testbed row, not the live job's (one decision per 300 s, no per-host limit)", async () => {
        // GIVEN a spec whose live job samples every 60 s and allows one migration in flight per host (the default)
        const settings = validatePolicy(policyFromSpec(loadSpec(spec).spec));
        expect(settings.maxConcurrentPerHost).toBe(1);
        // WHEN the day is simulated (testbed accounting) and compared, both with the fitted pre-copy model
        const r = await cli(['policy', 'simulate', '--trace', PLANETLAB, '--json', '--spec', spec]);
        expect(r.code).toBe(0);
        const simulated = JSON.parse(r.out);
        const [row] = comparePolicies(
          readTraces(PLANETLAB),
          { settings, baselines: [], ramModels: [], modes: ['consolidate'], precopy: choosePrecopy('fitted').model },
          () => ({ kind: 'dvfs' }),
        );
        // THEN simulate says which settings it replayed with, and reports what compare's row reports
        expect(simulated.settings).toMatchObject({ samplePeriodS: 300, maxConcurrentPerHost: 0 });
        expect(row).toMatchObject({ policy: 'consolidate', accounting: 'testbed' });
        expect(simulated.migrations).toBe(row!.migrations);
        expect(simulated.energyKWh).toBeCloseTo(row!.energyKWh, 6);
        expect(simulated.pdm).toBeCloseTo(row!.pdm, 12);
      });
    },
  );

  it('fails simulate with exit 2 for a missing trace', async () => {
    const r = await cli(['policy', 'simulate', '--trace', join(dir, 'nope'), '--spec', spec]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope: no such file or directory; allowed:/);
  });
});
