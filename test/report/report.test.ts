import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { execaRunner } from '../../src/exec/runner.js';
import { writeReport } from '../../src/report/report.js';
import { itWhere, missing } from '../support/requirements.js';

const FIXTURE = new URL('../fixtures/results-small', import.meta.url).pathname;

/** `| a | b |` lines of the Markdown table under `## title`, split into cells. */
function mdTable(md: string, title: string): string[][] {
  const at = md.indexOf(`## ${title}`);
  expect(at, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const lines = md.slice(at).split('\n').slice(2);
  const rows: string[][] = [];
  for (const l of lines) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows.filter((r) => !/^-+:?$/.test(r[0]!));
}

/** Every `aria-label` of the SVG's marks of one role (bar, tick, rule mark, ...), parsed by a real XML parser. */
function marks(svg: string, role: string): string[] {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o['aria-roledescription'] === role && typeof o['aria-label'] === 'string') out.push(o['aria-label']);
      Object.values(o).forEach(walk);
    }
  };
  walk(doc);
  return out;
}

/** The stored run itself, read with plain JSON: the expected figures are computed here, independently of src/report. */
const STORED = JSON.parse(readFileSync(join(FIXTURE, 'results.json'), 'utf8')) as {
  migrations: {
    pool: string;
    flavor: string;
    load: string;
    status: string;
    total_ms: number;
    downtime_ms: number;
    downtime_real_ms: number;
    transferred_bytes: number;
    lower_bound_ms: number;
    pattern_verified: boolean;
    verified_pages: number;
    verified_blocks: number;
    zero_pages: number;
    total_over_bound: number;
    rep: number;
  }[];
  fio: { pool: string; job: string; status: string; iops: number; mib_s: number; lat_p99_ms: number }[];
};
/** The guest RAM per flavor that the run recorded with Nova's plan (conditions.json), MiB. */
const RAM_MIB = Object.fromEntries(
  Object.entries(
    (JSON.parse(readFileSync(join(FIXTURE, 'conditions.json'), 'utf8')) as { migration: { nova_schedule: Record<string, { ram_mib: number }> } })
      .migration.nova_schedule,
  ).map(([f, p]) => [f, p.ram_mib]),
);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** 1 GbE moves 125 000 000 bytes a second; a GiB is 2³⁰ bytes. */
const gbeSeconds = (gib: number) => (gib * 2 ** 30) / 125e6;
const med = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** `median (min–max)` as the report writes it. */
const mmm = (v: number[], digits = 0, scale = 1) => {
  const f = (x: number) => (x / scale).toFixed(digits);
  const [m, lo, hi] = [f(med(v)), f(Math.min(...v)), f(Math.max(...v))];
  return lo === m && hi === m ? m : `${m} (${lo}–${hi})`;
};
const cell = (pool: string, flavor: string, load: string) =>
  STORED.migrations.filter((m) => m.pool === pool && m.flavor === flavor && m.load === load && m.status === 'completed');

describe('the report of the small stored results set (a real lab run, see test/fixtures/results-small/README.md)', () => {
  let out: string;
  let md: string;
  let html: string;
  let result: Awaited<ReturnType<typeof writeReport>>;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'report-'));
    result = await writeReport({ runs: [FIXTURE], outDir: out, runner: execaRunner });
    md = readFileSync(join(out, 'report.md'), 'utf8');
    html = readFileSync(join(out, 'report.html'), 'utf8');
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('holds a run of 2 pools × 2 flavors × 2 loads × 3 reps with fio, every migration checked', () => {
    expect(STORED.migrations).toHaveLength(24);
    expect(STORED.fio).toHaveLength(12);
    // every completed migration checked a pattern and a disk ring on the destination
    for (const m of STORED.migrations.filter((r) => r.status === 'completed')) {
      expect(m.verified_pages).toBeGreaterThan(0);
      expect(m.verified_blocks).toBe(256);
    }
  });

  it('has Table IV with median (min–max) total time and downtime per flavor, load and backend', () => {
    const rows = mdTable(md, 'Table IV.');
    expect(rows[0]).toEqual([
      'flavor',
      'load',
      'backend',
      'ok / failed',
      'total time s',
      'downtime ms (real)',
      'downtime ms (QEMU)',
      'study total time s',
      'ours ÷ study',
    ]);
    expect(rows).toHaveLength(1 + 8);
    for (const [flavor, load, pool] of [
      ['small', 'none', 'filestore'],
      ['small', 'memory', 'bluestore'],
      ['medium', 'memory', 'filestore'],
    ] as const) {
      const c = cell(pool, flavor, load);
      const all = STORED.migrations.filter((m) => m.pool === pool && m.flavor === flavor && m.load === load);
      expect(rows).toContainEqual([
        flavor,
        load,
        pool,
        `${c.length} / ${all.length - c.length}`,
        mmm(
          c.map((m) => m.total_ms),
          2,
          1000,
        ),
        mmm(c.map((m) => m.downtime_real_ms)),
        mmm(c.map((m) => m.downtime_ms)),
        // the study's Table IV values this project can cite are for XL only; this run has small and medium
        'not given',
        'not given',
      ]);
    }
  });

  it("shows that a loaded migration takes longer than an idle one and that real downtime is at least QEMU's", () => {
    for (const pool of ['filestore', 'bluestore'])
      for (const flavor of ['small', 'medium']) {
        expect(med(cell(pool, flavor, 'memory').map((m) => m.total_ms))).toBeGreaterThan(med(cell(pool, flavor, 'none').map((m) => m.total_ms)));
        for (const m of [...cell(pool, flavor, 'none'), ...cell(pool, flavor, 'memory')])
          expect(m.downtime_real_ms).toBeGreaterThanOrEqual(m.downtime_ms);
      }
  });

  it('gives each cell its physical lower bound and total ÷ bound', () => {
    const rows = mdTable(md, 'Bounds and client-side downtime');
    const c = cell('filestore', 'small', 'none');
    const row = rows.find((r) => r[0] === 'small' && r[1] === 'none' && r[2] === 'filestore')!;
    expect(row[3]).toBe(med(c.map((m) => m.transferred_bytes / 1e6)).toFixed(0));
    // the bound is the bytes sent on the 1000 Mbit/s link
    expect(row[4]).toBe((med(c.map((m) => m.transferred_bytes)) / 125e6).toFixed(2));
    expect(row[5]).toBe(
      mmm(
        c.map((m) => m.total_ms / m.lower_bound_ms),
        2,
      ),
    );
  });

  it('says how many pages and disk blocks each cell checked', () => {
    const rows = mdTable(md, 'Verification');
    expect(rows[0]).toEqual([
      'flavor',
      'load',
      'backend',
      'verified / completed',
      'pages checked',
      'MiB checked',
      'disk blocks checked',
      'check ms',
      'downtime limit at the end ms',
    ]);
    // 25 % of a 256 MiB guest is 64 MiB (16384 pages); loaded, its 50 % working set, 128 MiB; the medium guest has twice the RAM
    const pick = (flavor: string, load: string) => rows.find((r) => r[0] === flavor && r[1] === load && r[2] === 'filestore')!;
    expect(pick('small', 'none').slice(4, 7)).toEqual(['16384', '64', '256']);
    expect(pick('small', 'memory').slice(4, 7)).toEqual(['32768', '128', '256']);
    expect(pick('medium', 'none').slice(4, 7)).toEqual(['32768', '128', '256']);
    expect(pick('medium', 'memory').slice(4, 7)).toEqual(['65536', '256', '256']);
    // Nova's defaults: 500 ms ÷ 10 steps = 50 ms, and no later step is due within these migrations
    expect(rows.slice(1).every((r) => r[8] === '50')).toBe(true);
    expect(rows.slice(1).every((r) => /^(\d+) \/ \1$/.test(r[3]!))).toBe(true);
  });

  it('lists the Bluestore ÷ Filestore ratios with their spread', () => {
    const rows = mdTable(md, 'Bluestore ÷ Filestore');
    const iops = (pool: string) => STORED.fio.filter((f) => f.pool === pool && f.job === 'randwrite' && f.status === 'completed').map((f) => f.iops);
    const [b, f] = [iops('bluestore'), iops('filestore')];
    const row = rows.find((r) => r[0] === 'fio randwrite IOPS')!;
    expect(row.slice(0, 4)).toEqual([
      'fio randwrite IOPS',
      '3 / 3',
      (med(b) / med(f)).toFixed(2),
      `${(Math.min(...b) / Math.max(...f)).toFixed(2)}–${(Math.max(...b) / Math.min(...f)).toFixed(2)}`,
    ]);
    expect(row[4]).toBe((mean(b) / mean(f)).toFixed(2));
    expect(rows.map((r) => r[0])).toContain('migration time, small, load none');
    expect(rows.map((r) => r[0])).toContain('fio randwrite MiB/s');
  });

  it('gives every ratio a bootstrap 95 % interval that holds the ratio of means, lies within the spread, and says when it contains 1', () => {
    const rows = mdTable(md, 'Bluestore ÷ Filestore');
    expect(rows[0]).toEqual(['measure', 'n (B / F)', 'ratio of medians', 'spread (min–max)', 'ratio of means', '95 % CI (bootstrap)', 'reading']);
    // 2 flavors × 2 loads × (time, downtime) + 2 fio jobs × (IOPS, MiB/s, p99)
    expect(rows).toHaveLength(1 + 8 + 6);
    const values = (what: string, pool: string): number[] => {
      const fio = /^fio (\w+) (IOPS|MiB\/s|p99 latency)$/.exec(what);
      if (fio) {
        const key = ({ IOPS: 'iops', 'MiB/s': 'mib_s', 'p99 latency': 'lat_p99_ms' } as const)[fio[2] as 'IOPS'];
        return STORED.fio.filter((x) => x.pool === pool && x.job === fio[1] && x.status === 'completed').map((x) => x[key]);
      }
      const [, measure, flavor, load] = /^(migration time|downtime \(real\)), (\w+), load (\w+)$/.exec(what)!;
      return cell(pool, flavor!, load!).map((m) => (measure === 'migration time' ? m.total_ms : m.downtime_real_ms));
    };
    let decidedByData = 0;
    for (const r of rows.slice(1)) {
      const [b, f] = [values(r[0]!, 'bluestore'), values(r[0]!, 'filestore')];
      const [lo, hi] = r[5]!.split('–').map(Number) as [number, number];
      const ratio = mean(b) / mean(f);
      expect(r[4], r[0]).toBe(ratio.toFixed(2));
      // every resampled ratio of means lies between min B ÷ max F and max B ÷ min F
      expect(lo, r[0]).toBeGreaterThanOrEqual(+(Math.min(...b) / Math.max(...f)).toFixed(2) - 0.005);
      expect(hi, r[0]).toBeLessThanOrEqual(+(Math.max(...b) / Math.min(...f)).toFixed(2) + 0.005);
      expect(lo, r[0]).toBeLessThanOrEqual(+ratio.toFixed(2));
      expect(hi, r[0]).toBeGreaterThanOrEqual(+ratio.toFixed(2));
      // 3 repetitions a side: an interval, flagged as reading narrow
      expect(r[6], r[0]).toMatch(/ \(n < 5: reads narrow\)$/);
      const reading = r[6]!.replace(/ \(.*\)$/, '');
      expect(reading, r[0]).toBe(lo <= 1 && hi >= 1 ? 'no measurable difference' : lo > 1 ? 'Bluestore higher' : 'Bluestore lower');
      // where every Bluestore value is above (below) every Filestore one, no resample can reach 1
      if (Math.min(...b) > Math.max(...f)) expect(reading, r[0]).toBe('Bluestore higher');
      if (Math.max(...b) < Math.min(...f)) expect(reading, r[0]).toBe('Bluestore lower');
      if (Math.min(...b) > Math.max(...f) || Math.max(...b) < Math.min(...f)) decidedByData++;
    }
    // fio randwrite IOPS and MiB/s (Bluestore 1331–1419 vs Filestore 911–1222) and randread IOPS and MiB/s at least
    expect(decidedByData).toBeGreaterThanOrEqual(4);
    expect(rows.find((r) => r[0] === 'fio randwrite IOPS')?.[6]).toMatch(/^Bluestore higher/);
    // the idle small VM's migration time: Bluestore 1373–1468 ms vs Filestore 1168–1410 ms
    expect(rows.find((r) => r[0] === 'migration time, small, load none')?.[6]).toMatch(/^no measurable difference/);
  });

  it('gives the same intervals when the report is written again (seeded resampling)', async () => {
    const again = await writeReport({ runs: [FIXTURE], outDir: join(out, 'again') });
    expect(mdTable(readFileSync(again.markdown, 'utf8'), 'Bluestore ÷ Filestore')).toEqual(mdTable(md, 'Bluestore ÷ Filestore'));
  });

  it("gives each cell the physical bounds at the study's flavor size on 1 GbE, with our guest's touched share and a sentence on why ours differs", () => {
    const rows = mdTable(md, "Table IV at the study's flavor sizes on 1 GbE");
    expect(rows[0]).toEqual([
      'flavor',
      'load',
      'backend',
      'study RAM GiB',
      'bound, all memory s',
      'our guest touched',
      'bound, zero pages skipped s',
      'study s',
      'what the bound says',
      'why ours differs',
    ]);
    expect(rows).toHaveLength(1 + 8);
    // the study's flavors (spec defaults): small 4 GiB, medium 8 GiB
    for (const [flavor, gib] of [
      ['small', 4],
      ['medium', 8],
    ] as const)
      for (const load of ['none', 'memory'])
        for (const pool of ['filestore', 'bluestore']) {
          const row = rows.find((r) => r[0] === flavor && r[1] === load && r[2] === pool)!;
          const touched = med(cell(pool, flavor, load).map((m) => 1 - (m.zero_pages * 4096) / (RAM_MIB[flavor]! * 2 ** 20)));
          expect(row.slice(3, 9)).toEqual([
            String(gib),
            gbeSeconds(gib).toFixed(1),
            `${(touched * 100).toFixed(0)} %`,
            (touched * gbeSeconds(gib)).toFixed(1),
            'not given',
            '–',
          ]);
          const ob = med(cell(pool, flavor, load).map((m) => m.total_over_bound));
          expect(row[9]).toContain(`our ${flavor} guest has ${RAM_MIB[flavor]} MiB (1/${(gib * 1024) / RAM_MIB[flavor]!} of the study's ${gib} GiB)`);
          expect(row[9]).toContain('ran under TCG (emulated CPU, no KVM) on a 1000 Mbit/s link');
          expect(row[9]).toContain(`took ${+ob.toFixed(2)}× the time its own`);
        }
    // the idle guest touched about half of its 256 MiB (the 25 % pattern and its kernel); the loaded one three quarters
    expect(rows.find((r) => r[0] === 'small' && r[1] === 'none')?.[5]).toBe('50 %');
    expect(rows.find((r) => r[0] === 'small' && r[1] === 'memory')?.[5]).toMatch(/^7[45] %$/);
  });

  it("checks the study's own figures against its 1 GbE link and flags what the bound rules out", () => {
    const rows = mdTable(md, "The study's figures against its 1 GbE link");
    expect(rows[0]).toEqual([
      'flavor',
      'backend',
      'RAM GiB',
      'study s',
      'bound, all memory s',
      'share of its RAM the time can carry',
      'what the bound rules out',
      'source',
    ]);
    const xl = gbeSeconds(16);
    expect(xl).toBeCloseTo(137.4, 1);
    expect(rows.slice(1).map((r) => r.slice(0, 6))).toEqual([
      ['xlarge', 'filestore', '16', '30–45', xl.toFixed(1), `${Math.ceil((45 / xl) * 100)} %`],
      ['xlarge', 'bluestore', '16', '22–35', xl.toFixed(1), `${Math.ceil((35 / xl) * 100)} %`],
      ['xlarge', 'not given', '16', '5', xl.toFixed(1), `${(Math.ceil((5 / xl) * 1000) / 10).toFixed(1)} %`],
    ]);
    // 16 GiB in 5 s over 1 GbE: at most 3.64 % of the memory can have been sent (rounded up for "at most", down for "at least")
    expect((5 / xl) * 100).toBeCloseTo(3.64, 2);
    expect(rows[3]![6]).toBe(
      "Ruled out if all memory is sent: 16 GiB need at least 137 s on 1 GbE. 5 s can carry at most 3.7 % of it, so at least 96.3 % of the guest's memory must have been zero pages (or compressed).",
    );
    expect(rows[3]![7]).toBe('issue 13, quoting the study: “an XL VM (16 GB RAM) migrating in 5 s over 1 GbE”');
    expect(md).toMatch(/The study's xlarge filestore 30–45 s, xlarge bluestore 22–35 s, xlarge 5 s are below the time 1 GbE needs/);
  });

  it("says where the load reached different dirty rates on the two backends, so that a ratio there is not read as the backend's", () => {
    const rate = (pool: string, flavor: string) =>
      med(cell(pool, flavor, 'memory').map((m) => (m as unknown as { dirty_rate_guest_mib_s: number }).dirty_rate_guest_mib_s));
    for (const flavor of ['small', 'medium']) {
      const [b, f] = [rate('bluestore', flavor), rate('filestore', flavor)];
      // in this run the Bluestore guests' dirtier reached less than half the Filestore guests' rate
      expect(b / f).toBeLessThan(0.8);
      expect(md).toContain(`${flavor} load memory: the load reached ${b.toFixed(0)} MiB/s on Bluestore and ${f.toFixed(0)} MiB/s on Filestore`);
    }
    expect(md).not.toMatch(/load none: the load reached/);
  });

  it('has the fio table and says that Filestore reads from the page cache are not a fair comparison', () => {
    const rows = mdTable(md, 'fio:');
    const w = STORED.fio.filter((f) => f.pool === 'filestore' && f.job === 'randwrite');
    expect(rows.find((r) => r[0] === 'filestore' && r[1] === 'randwrite')?.slice(0, 4)).toEqual([
      'filestore',
      'randwrite',
      '3 / 0',
      mmm(w.map((x) => x.iops)),
    ]);
    expect(md).toMatch(/random reads are not a fair Filestore\/Bluestore comparison[^\n]*page cache/);
  });

  it("records the conditions, with Nova's downtime schedule per flavor", () => {
    const rows = mdTable(md, 'Conditions');
    expect(rows).toContainEqual(['target', 'lab']);
    expect(rows).toContainEqual(['accelerator', 'TCG']);
    expect(rows.find((r) => r[0] === 'migration link')?.[1]).toMatch(/^1000 Mbit\/s \(tc tbf rate 1Gbit/);
    expect(rows.find((r) => r[0] === 'downtime schedule (Nova)')?.[1]).toContain(
      'small (256 MiB, data 2 GB): 50 ms from the start, raised every 150 s to 500 ms (10 steps); after 1600 s: abort',
    );
    expect(rows.find((r) => r[0] === 'verification per migration')?.[1]).toMatch(/^pattern over 25 % of guest RAM/);
  });

  it('writes five well-formed SVG figures with the expected series, labels and bounds', () => {
    expect(result.svgs.map((f) => f.split('/').pop())).toEqual([
      'fig-7-backends-load.svg',
      'fig-8-migration-time.svg',
      'fig-9-downtime.svg',
      'fig-10-fio-throughput.svg',
      'fig-11-fio-iops.svg',
    ]);
    for (const f of result.svgs) expect(XMLValidator.validate(readFileSync(f, 'utf8')), f).toBe(true);
    const fig8 = readFileSync(join(out, 'figures', 'fig-8-migration-time.svg'), 'utf8');
    expect(fig8).toContain('>Fig 8. Live-migration time per flavor</text>');
    expect(fig8).toContain('>lower bound (bytes sent ÷ link)</text>');
    const bars = marks(fig8, 'bar');
    expect(bars).toHaveLength(8);
    const smallNone = cell('filestore', 'small', 'none').map((m) => m.total_ms / 1000);
    expect(bars).toContain(`flavor: small; migration time (s): ${+med(smallNone).toFixed(3)}; series: filestore`);
    expect(marks(fig8, 'rule mark')).toHaveLength(8);
    const fig11 = readFileSync(join(out, 'figures', 'fig-11-fio-iops.svg'), 'utf8');
    const bw = STORED.fio.filter((f) => f.pool === 'bluestore' && f.job === 'randwrite').map((f) => f.iops);
    expect(
      marks(fig11, 'bar').some((l) => l.startsWith('fio job (iodepth 32, RBD cache off): 4K randwrite; IOPS: ') && l.endsWith('series: bluestore')),
    ).toBe(true);
    expect(bw).toHaveLength(3);
  });

  it('writes a self-contained HTML page with the figures inlined', () => {
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('<h2>Table IV. Live-migration time and downtime per flavor, backend and load</h2>');
  });

  itWhere(missing({ binaries: ['rsvg-convert'] }), 'converts each figure to PNG with rsvg-convert', () => {
    expect(result.pngs).toHaveLength(5);
    for (const f of result.pngs) expect(readFileSync(f).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('the report of a run with failed and unchecked migrations (the stored run, edited)', () => {
  it('counts a failed migration, leaves it out of the medians, gives its reason, and flags a migration that checked nothing', async () => {
    // GIVEN the stored run with rep 3 of bluestore × medium × memory turned into a cancelled migration,
    // and rep 1 of filestore × small × none into one after which nothing was checked
    const root = mkdtempSync(join(tmpdir(), 'report-edit-'));
    try {
      cpSync(FIXTURE, join(root, 'run'), { recursive: true });
      const file = join(root, 'run', 'results.json');
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      const at = (pool: string, flavor: string, load: string, rep: number) =>
        doc.migrations.find(
          (m: { pool: string; flavor: string; load: string; rep: number }) =>
            m.pool === pool && m.flavor === flavor && m.load === load && m.rep === rep,
        );
      Object.assign(at('bluestore', 'medium', 'memory', 3), {
        status: 'cancelled',
        reason: 'did not complete within 1600 s',
        pattern_verified: false,
      });
      Object.assign(at('filestore', 'small', 'none', 1), { pattern_verified: false, verified_pages: 0, verified_blocks: 0 });
      writeFileSync(file, JSON.stringify(doc));
      // WHEN the report is written
      const r = await writeReport({ runs: [join(root, 'run')], outDir: join(root, 'out') });
      const md = readFileSync(r.markdown, 'utf8');
      // THEN the cell counts 2 / 1 and its median is over the two completed ones
      const c = cell('bluestore', 'medium', 'memory').filter((_m, i) => i < 2);
      expect(mdTable(md, 'Table IV.')).toContainEqual([
        'medium',
        'memory',
        'bluestore',
        '2 / 1',
        mmm(
          c.map((m) => m.total_ms),
          2,
          1000,
        ),
        mmm(c.map((m) => m.downtime_real_ms)),
        mmm(c.map((m) => m.downtime_ms)),
        'not given',
        'not given',
      ]);
      expect(md).toMatch(/rep 3: cancelled: did not complete within 1600 s/);
      // AND the unchecked migration is counted as unverified and named in the notes
      expect(mdTable(md, 'Table IV.').find((row) => row[0] === 'small' && row[1] === 'none' && row[2] === 'filestore')?.[3]).toBe(
        '3 / 0 (1 unverified)',
      );
      expect(md).toMatch(/filestore small load none: after 1 completed migration\(s\) the guest checked nothing/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** Every bar of an SVG figure: its aria-label and its fill colour. */
function barFills(svg: string): { label: string; fill: string }[] {
  return [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="bar" [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => ({
    label: m[1]!,
    fill: m[2]!,
  }));
}
const brightness = (hex: string) => [1, 3, 5].reduce((s, i) => s + Number.parseInt(hex.slice(i, i + 2), 16), 0);

describe('the report of a run with an XL cell and a cell of one repetition (the stored run, edited)', () => {
  let root: string;
  let md: string;
  let svgs: string[];
  beforeAll(async () => {
    // GIVEN the stored run with its medium cells relabelled xlarge (and the xlarge plan made the medium one, 512 MiB),
    // so that the study's XL values have cells to stand beside; and bluestore × small × none cut to its first repetition
    root = mkdtempSync(join(tmpdir(), 'report-xl-'));
    cpSync(FIXTURE, join(root, 'run'), { recursive: true });
    const file = join(root, 'run', 'results.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.meta.matrix.flavors = ['small', 'xlarge'];
    doc.migrations = doc.migrations
      .filter(
        (m: { pool: string; flavor: string; load: string; rep: number }) =>
          !(m.pool === 'bluestore' && m.flavor === 'small' && m.load === 'none' && m.rep > 1),
      )
      .map((m: { flavor: string }) => (m.flavor === 'medium' ? { ...m, flavor: 'xlarge' } : m));
    writeFileSync(file, JSON.stringify(doc));
    const cond = join(root, 'run', 'conditions.json');
    const c = JSON.parse(readFileSync(cond, 'utf8'));
    c.migration.nova_schedule.xlarge = c.migration.nova_schedule.medium;
    writeFileSync(cond, JSON.stringify(c));
    // WHEN the report is written
    const r = await writeReport({ runs: [join(root, 'run')], outDir: join(root, 'out') });
    md = readFileSync(r.markdown, 'utf8');
    svgs = r.svgs.map((f) => readFileSync(f, 'utf8'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("puts the study's XL range beside ours in Table IV, with ours ÷ study over that range", () => {
    const rows = mdTable(md, 'Table IV.');
    for (const [pool, range, lo, hi] of [
      ['filestore', '30–45', 30, 45],
      ['bluestore', '22–35', 22, 35],
    ] as const)
      for (const load of ['none', 'memory']) {
        const ours = med(cell(pool, 'medium', load).map((m) => m.total_ms)) / 1000;
        const row = rows.find((r) => r[0] === 'xlarge' && r[1] === load && r[2] === pool)!;
        expect(row.slice(7)).toEqual([range, `${(ours / hi).toFixed(3)}–${(ours / lo).toFixed(3)}`]);
      }
    expect(rows.filter((r) => r[0] === 'small').every((r) => r[7] === 'not given' && r[8] === 'not given')).toBe(true);
  });

  it("says, for an XL cell, that the study's range is below what 1 GbE needs for 16 GiB, and why ours differs", () => {
    const row = mdTable(md, "Table IV at the study's flavor sizes on 1 GbE").find(
      (r) => r[0] === 'xlarge' && r[1] === 'none' && r[2] === 'filestore',
    )!;
    const touched = med(cell('filestore', 'medium', 'none').map((m) => 1 - (m.zero_pages * 4096) / (512 * 2 ** 20)));
    const skipped = touched * gbeSeconds(16);
    expect(skipped).toBeGreaterThan(45);
    expect(row[8]).toBe(
      `The study's 30–45 s is below the 137 s all memory needs: ruled out unless zero pages were skipped or compressed; ` +
        `skipping zero pages of a guest that touched ${(touched * 100).toFixed(0)} % of its RAM (as ours did) still needs ${skipped.toFixed(0)} s: ruled out too.`,
    );
    const ours = med(cell('filestore', 'medium', 'none').map((m) => m.total_ms)) / 1000;
    expect(row[9]).toMatch(
      new RegExp(
        `^Ours is ${(ours / 45).toPrecision(2)}–${(ours / 30).toPrecision(2)}× the study's 30–45 s: our xlarge guest has 512 MiB \\(1/32 of the study's 16 GiB\\)`,
      ),
    );
  });

  it("draws the study's bars beside ours in Figs 7 and 8, in a lighter shade of the backend's colour, and none in Fig 9", () => {
    const [fig7, fig8, fig9] = svgs as [string, string, string];
    for (const fig of [fig7, fig8]) {
      const bars = barFills(fig);
      const study = bars.filter((b) => b.label.includes('series: study · '));
      // 2 backends × 2 loads, each from the low to the high end of the study's range
      expect(study.map((b) => b.label.replace(/^(flavor|load): [^;]+; /, '')).sort()).toEqual([
        'migration time (s): 22; hi: 35; series: study · bluestore',
        'migration time (s): 22; hi: 35; series: study · bluestore',
        'migration time (s): 30; hi: 45; series: study · filestore',
        'migration time (s): 30; hi: 45; series: study · filestore',
      ]);
      for (const backend of ['filestore', 'bluestore']) {
        const ours = bars.find((b) => b.label.endsWith(`series: ${backend}`))!.fill;
        const theirs = study.find((b) => b.label.endsWith(`study · ${backend}`))!.fill;
        expect(brightness(theirs)).toBeGreaterThan(brightness(ours) + 100);
      }
    }
    expect(barFills(fig9).some((b) => b.label.includes('study'))).toBe(false);
  });

  it('says a cell with one repetition is too few to bootstrap instead of showing an interval', () => {
    const rows = mdTable(md, 'Bluestore ÷ Filestore');
    expect(rows.find((r) => r[0] === 'migration time, small, load none')).toEqual([
      'migration time, small, load none',
      '1 / 3',
      expect.any(String),
      expect.any(String),
      '–',
      '–',
      'too few repetitions to bootstrap (1 and 3; needs 2 per backend)',
    ]);
    expect(rows.find((r) => r[0] === 'migration time, small, load memory')?.[5]).toMatch(/^\d\.\d+–\d\.\d+$/);
  });
});

describe('the report of several runs', () => {
  it('compares them side by side, with the run in every series name', async () => {
    // GIVEN two runs (the fixture and a copy under another id)
    const root = mkdtempSync(join(tmpdir(), 'report2-'));
    try {
      cpSync(FIXTURE, join(root, 'a'), { recursive: true });
      cpSync(FIXTURE, join(root, 'b'), { recursive: true });
      const file = join(root, 'b', 'results.json');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"2026-12-01T22-31-36Z-7908"', '"run-b"'));
      // WHEN the report covers both
      const r = await writeReport({ runs: [join(root, 'a'), join(root, 'b')], outDir: join(root, 'out') });
      // THEN there is a side-by-side table and each bar names its run
      const md = readFileSync(r.markdown, 'utf8');
      expect(mdTable(md, 'Runs side by side')[0]).toEqual(['flavor', 'load', 'backend', '2026-12-01T22-31-36Z-7908', 'run-b']);
      const bars = marks(readFileSync(r.svgs[1]!, 'utf8'), 'bar');
      expect(bars).toHaveLength(16);
      expect(bars.filter((b) => b.endsWith('series: run-b · filestore'))).toHaveLength(4);
      expect(r.pngs).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails on a folder that is not a run, naming it', async () => {
    await expect(writeReport({ runs: ['/nonexistent/run'] })).rejects.toThrow(
      '/nonexistent/run/results.json: not found; expected a run folder made by `testbed experiment run` (results/<run-id>/)',
    );
  });
});
