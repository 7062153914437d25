import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { byteOrder, readTraces } from '../../src/policy/traces.js';
import { simulatePlanetLab, specPower } from '../../src/policy/simulate.js';
import { settings } from './fixtures.js';
import { describeWhere } from '../support/requirements.js';

/** The sample day, read in place (never copied into the repo); TESTBED_PLANETLAB_DIR overrides. */
const PLANETLAB = process.env.TESTBED_PLANETLAB_DIR ?? resolve('../shared/traces/planetlab/20110303');
const havePlanetLab = existsSync(PLANETLAB);
if (!havePlanetLab) console.warn(`SKIPPED PlanetLab trace tests: ${PLANETLAB} is absent`);

describe('trace readers', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'policy-traces-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const day = (v: number) => `${Array.from({ length: 288 }, () => v).join('\n')}\n`;

  it('reads PlanetLab files sorted by byte order, names with spaces included', () => {
    const d = join(dir, 'day');
    mkdirSync(d);
    writeFileSync(join(d, 'b_host'), day(2));
    writeFileSync(join(d, 'a_host_ rnp'), day(1));
    writeFileSync(join(d, 'B_host'), day(3));
    const t = readTraces(d);
    expect(t.vms.map((v) => v.id)).toEqual(['B_host', 'a_host_ rnp', 'b_host']);
    expect(t.vms[1]!.cpu).toHaveLength(288);
    expect(t.stepS).toBe(300);
  });

  it('fails naming the file and line for a bad value, and for a short file', () => {
    const d = join(dir, 'day');
    mkdirSync(d);
    writeFileSync(join(d, 'x'), day(5).replace(/^5$/m, 'abc'));
    expect(() => readTraces(d)).toThrow(`${join(d, 'x')}: line 1: got "abc"; allowed: a CPU percentage 0..100`);
    writeFileSync(join(d, 'x'), '1\n2\n');
    expect(() => readTraces(d)).toThrow(/2 lines; allowed: exactly 288/);
  });

  it('reads CSV and JSON traces', () => {
    writeFileSync(join(dir, 't.csv'), 'vm,step,cpu_pct,ram_pct\nb,0,10,20\na,1,30,40\na,0,50,60\nb,1,70,80\n');
    expect(readTraces(join(dir, 't.csv')).vms).toEqual([
      { id: 'a', cpu: [50, 30], ram: [60, 40] },
      { id: 'b', cpu: [10, 70], ram: [20, 80] },
    ]);
    writeFileSync(join(dir, 't.json'), JSON.stringify({ step_s: 60, vms: [{ id: 'a', cpu_pct: [1, 2] }] }));
    expect(readTraces(join(dir, 't.json'))).toMatchObject({ stepS: 60, vms: [{ id: 'a', cpu: [1, 2] }] });
  });

  it('fails on a CSV without the expected header', () => {
    writeFileSync(join(dir, 't.csv'), 'name,cpu\n');
    expect(() => readTraces(join(dir, 't.csv'))).toThrow(/line 1: got "name,cpu"; allowed: the header vm,step,cpu_pct/);
  });

  it('orders by bytes, not locale', () => {
    expect(['b', 'a', 'B', '_'].sort(byteOrder)).toEqual(['B', '_', 'a', 'b']);
  });
});

describe('the planetlab-800 model', () => {
  it.each([
    [0, 86],
    [0.05, 87.7],
    [1, 117],
    [1.5, 117],
  ])('interpolates the G4 SPECpower table at %d', (u, w) => {
    expect(specPower([86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117], u)).toBeCloseTo(w, 6);
  });

  it('charges an active host its SPECpower draw and an idle host nothing', () => {
    // GIVEN two 2500-MIPS VMs at 100 % on one G5 host... (type 0 needs a G5, so 2 hosts: G4 idle, G5 used)
    const traces = {
      source: 'x',
      stepS: 300,
      vms: [
        { id: 'a', cpu: Array(4).fill(100) },
        { id: 'b', cpu: Array(4).fill(100) },
      ],
    };
    const r = simulatePlanetLab(traces, { settings: settings({ maxMigrationsPerCycle: 0 }), hosts: 2 });
    // THEN both (types 0 and 1: 2500 + 2000 MIPS) land on the G5 host, the G4 stays off
    expect(r.activeHosts).toEqual([1, 1, 1, 1]);
    // 4500 < 5320: no violation; energy = 4 × 300 s × P(4500/5320) of a G5
    expect(r.slatah).toBe(0);
    expect(r.energyKWh).toBeCloseTo((4 * 300 * (129 + (133 - 129) * (45000 / 5320 - 8))) / 3.6e6, 9);
  });

  describeWhere(
    havePlanetLab ? undefined : `needs the PlanetLab day at ${PLANETLAB} (../shared/traces, or TESTBED_PLANETLAB_DIR)`,
    'on the PlanetLab sample day',
    () => {
      it('places all 1052 VMs and reports metrics in both modes', () => {
        const traces = readTraces(PLANETLAB);
        expect(traces.vms).toHaveLength(1052);
        for (const mode of ['paper', 'safe'] as const) {
          const r = simulatePlanetLab(traces, { settings: settings({ mode }), keepSeries: true });
          expect(r).toMatchObject({ vms: 1052, hosts: 800, steps: 288, unplaced: 0 });
          expect(r.migrations).toBeGreaterThan(0);
          expect(r.energyKWh).toBeGreaterThan(0);
          expect(r.esv).toBeCloseTo(r.energyKWh * r.slav, 12);
        }
      });
    },
  );
});
