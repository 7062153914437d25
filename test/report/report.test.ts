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

describe('the report of the small stored results set', () => {
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

  it('has Table IV with median (min–max) total time and downtime per flavor, load and backend', () => {
    const rows = mdTable(md, 'Table IV.');
    expect(rows[0]).toEqual(['flavor', 'load', 'backend', 'ok / failed', 'total time s', 'downtime ms (real)', 'downtime ms (QEMU)']);
    // filestore small none: totals 695, 701, 703 ms; real downtime 48, 61, 66 ms; QEMU 24, 41, 43 ms
    expect(rows).toContainEqual(['small', 'none', 'filestore', '3 / 0', '0.70 (0.69–0.70)', '61 (48–66)', '41 (24–43)']);
    // the non-converging migration is counted, and left out of the medians
    expect(rows).toContainEqual(['medium', 'memory', 'bluestore', '2 / 1', '5.88 (5.86–5.90)', '304 (299–308)', '279 (275–282)']);
    expect(rows).toHaveLength(1 + 8);
  });

  it('gives each cell its physical lower bound and total ÷ bound', () => {
    const rows = mdTable(md, 'Bounds and client-side downtime');
    // 85 MB on a 1000 Mbit/s link = 0.68 s; 701 / 680 = 1.03
    expect(rows).toContainEqual(['small', 'none', 'filestore', '85', '0.68', '1.03 (1.02–1.03)', '73 (60–78)', '69 (56–74)', '3']);
  });

  it('lists the Bluestore ÷ Filestore ratios with their spread', () => {
    const rows = mdTable(md, 'Bluestore ÷ Filestore');
    // randwrite IOPS: bluestore 1123, 1243, 1272 vs filestore 702, 739, 766 → 1243/739, 1123/766 … 1272/702
    expect(rows).toContainEqual(['fio randwrite IOPS', '1.68', '1.47–1.81']);
    expect(rows).toContainEqual(['migration time, small, load none', '0.97', '0.96–0.98']);
  });

  it('has the fio table and says that Filestore reads from the page cache are not a fair comparison', () => {
    expect(mdTable(md, 'fio:')).toContainEqual([
      'filestore',
      'randwrite',
      '3 / 0',
      '739 (702–766)',
      '2.89 (2.74–2.99)',
      '43.10 (41.60–45.30)',
      '144.0 (137.0–156.0)',
      '316.8 (301.4–343.2)',
    ]);
    expect(md).toMatch(/random reads are not a fair Filestore\/Bluestore comparison[^\n]*page cache/);
    expect(md).toMatch(/did not converge within 40 s/);
  });

  it('records the conditions', () => {
    const rows = mdTable(md, 'Conditions');
    expect(rows).toContainEqual(['accelerator', 'TCG']);
    expect(rows).toContainEqual(['migration link', '1000 Mbit/s (tc tbf rate 1Gbit burst 125000b)']);
    expect(rows.find((r) => r[0] === 'storage under the lab')?.[1]).toMatch(/ext4 on \/dev\/vda1.*reports rotational/);
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
    expect(bars).toContain('flavor: small; migration time (s): 0.701; series: filestore');
    expect(marks(fig8, 'tick')).toContain('flavor: small; bound: 0.68; series: filestore');
    expect(marks(fig8, 'rule mark')).toHaveLength(8);
    const fig11 = readFileSync(join(out, 'figures', 'fig-11-fio-iops.svg'), 'utf8');
    expect(marks(fig11, 'bar')).toContain('fio job (iodepth 32, RBD cache off): 4K randwrite; IOPS: 1243; series: bluestore');
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

describe('the report of several runs', () => {
  it('compares them side by side, with the run in every series name', async () => {
    // GIVEN two runs (the fixture and a copy under another id)
    const root = mkdtempSync(join(tmpdir(), 'report2-'));
    try {
      cpSync(FIXTURE, join(root, 'a'), { recursive: true });
      cpSync(FIXTURE, join(root, 'b'), { recursive: true });
      const file = join(root, 'b', 'results.json');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"results-small"', '"run-b"'));
      // WHEN the report covers both
      const r = await writeReport({ runs: [join(root, 'a'), join(root, 'b')], outDir: join(root, 'out') });
      // THEN there is a side-by-side table and each bar names its run
      const md = readFileSync(r.markdown, 'utf8');
      expect(mdTable(md, 'Runs side by side')[0]).toEqual(['flavor', 'load', 'backend', 'results-small', 'run-b']);
      const bars = marks(readFileSync(r.svgs[1]!, 'utf8'), 'bar');
      expect(bars).toHaveLength(16);
      expect(bars).toContain('flavor: small; migration time (s): 0.701; series: run-b · filestore');
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
