import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../src/report/report.js';

const FIXTURE = new URL('../fixtures/results-disk', import.meta.url).pathname;

/** The stored row itself, read with plain JSON: the expected cells are computed here, independently of src/report. */
const ROW = JSON.parse(readFileSync(join(FIXTURE, 'results.json'), 'utf8')).migrations[0] as {
  downtime_real_ms: number;
  verified_load_blocks: number;
  dirty_rate_calc_mib_s: number;
  dirty_rate_calc_mode: string;
  disk_io: Record<'before' | 'during' | 'after', { iops: number; lat_mean_ms: number; lat_p99_ms: number }>;
  switchover: { inflight_at_stop: number; drain_flush_ms: number; inactivate_ms: number; drain_share: number };
};

/** The row of the Markdown table under `## title` whose first cell is `first`. */
function mdRow(md: string, title: string, first: string): string[] {
  const at = md.indexOf(`## ${title}`);
  expect(at, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const line = md
    .slice(at)
    .split('\n')
    .find((l) => l.startsWith(`| ${first} |`));
  expect(line, `a row starting "${first}"`).toBeDefined();
  return line!
    .slice(1, -1)
    .split(' | ')
    .map((c) => c.trim());
}

describe('the report of one real disk cell (test/fixtures/results-disk)', () => {
  let out: string;
  let md: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'report-disk-'));
    await writeReport({ runs: [FIXTURE], outDir: out });
    md = readFileSync(join(out, 'report.md'), 'utf8');
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("shows the guest's writes per phase and the switchover's block I/O as measured", () => {
    const phases = (f: (p: { iops: number; lat_mean_ms: number; lat_p99_ms: number }) => number, digits: number) =>
      (['before', 'during', 'after'] as const).map((p) => f(ROW.disk_io[p]).toFixed(digits)).join(' / ');
    const sw = ROW.switchover;
    expect(mdRow(md, 'Disk I/O during the migration and the block side of the switchover', 'small')).toEqual([
      'small',
      'disk',
      'bluestore',
      phases((p) => p.iops, 0),
      phases((p) => p.lat_mean_ms, 2),
      phases((p) => p.lat_p99_ms, 2),
      String(ROW.verified_load_blocks),
      String(sw.inflight_at_stop),
      sw.drain_flush_ms.toFixed(2),
      sw.inactivate_ms.toFixed(2),
      ROW.downtime_real_ms.toFixed(1),
      sw.drain_share.toFixed(3),
    ]);
    expect(md).toContain('Every figure was measured.');
  });

  it("shows QEMU's calc-dirty-rate beside the guest's report, and says when there is nothing to compare", () => {
    expect(mdRow(md, "Dirty rate: QEMU's calc-dirty-rate beside the guest's own report", 'small')).toEqual([
      'small',
      'disk',
      'bluestore',
      String(ROW.dirty_rate_calc_mib_s),
      '0.0',
      '–',
      'no figure to compare',
      ROW.dirty_rate_calc_mode,
    ]);
  });

  it("says in the cell's sentence what the disk load wrote", () => {
    expect(md).toContain(`with its disk load writing ${Math.round(ROW.disk_io.during.iops)} IOPS to its disk (the guest's report)`);
  });
});
