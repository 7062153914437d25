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
  }[];
  fio: { pool: string; job: string; status: string; iops: number; lat_p99_ms: number }[];
};
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
    expect(rows[0]).toEqual(['flavor', 'load', 'backend', 'ok / failed', 'total time s', 'downtime ms (real)', 'downtime ms (QEMU)']);
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
    expect(rows).toContainEqual([
      'fio randwrite IOPS',
      (med(b) / med(f)).toFixed(2),
      `${(Math.min(...b) / Math.max(...f)).toFixed(2)}–${(Math.max(...b) / Math.min(...f)).toFixed(2)}`,
    ]);
    expect(rows.map((r) => r[0])).toContain('migration time, small, load none');
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
