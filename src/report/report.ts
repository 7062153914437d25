/**
 * `testbed report RUN [RUN...]`: reads the runs, summarizes them, renders the figures to SVG (and
 * PNG where rsvg-convert exists), and writes `report.md`, a self-contained `report.html` and
 * `figures/` into the output folder (default: the first run's folder).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../exec/index.js';
import { readRun, writeAtomic } from '../experiments/results-store.js';
import { allFigures } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown, type ReportDocument } from './markdown.js';
import { renderSvg, svgToPng } from './render-svg.js';
import { buildReportData, type LoadedRun, type ReportData } from './summarize.js';
import { allTables, fairnessNotes } from './tables.js';

export interface WriteReportProps {
  /** Run folders (results/<run-id>) or their results.json files. */
  readonly runs: readonly string[];
  /** @default - the first run's folder */
  readonly outDir?: string;
  /** For PNG conversion; no PNGs without it. */
  readonly runner?: Runner;
}

export interface WrittenReport {
  readonly markdown: string;
  readonly html: string;
  readonly svgs: readonly string[];
  readonly pngs: readonly string[];
  readonly data: ReportData;
}

export function reportDocument(data: ReportData): ReportDocument {
  const ids = data.runs.map((r) => r.results.meta.run_id);
  const migrations = data.runs.reduce((n, r) => n + r.results.migrations.length, 0);
  const fio = data.runs.reduce((n, r) => n + r.results.fio.length, 0);
  return {
    title: `Live migration with Filestore and Bluestore: ${ids.join(' vs ')}`,
    intro:
      `${ids.length === 1 ? 'Run' : 'Runs'} ${ids.join(', ')} (target ${[...new Set(data.runs.map((r) => r.results.meta.target))].join(', ')}): ` +
      `${migrations} live migrations and ${fio} fio jobs. Every figure is a median with its min–max; migration times are shown with their physical lower bound. ` +
      'Failed migrations are counted and listed, never dropped.',
    tables: allTables(data),
    figures: allFigures(data),
    notes: fairnessNotes(data),
  };
}

export async function writeReport(p: WriteReportProps): Promise<WrittenReport> {
  if (p.runs.length === 0) throw new Error('no run given; allowed: one or more results folders (results/<run-id>)');
  const runs: LoadedRun[] = p.runs.map((r) => readRun(r));
  const outDir = p.outDir ?? runs[0]!.dir;
  const figDir = join(outDir, 'figures');
  mkdirSync(figDir, { recursive: true });
  const data = buildReportData(runs);
  const doc = reportDocument(data);
  const svgText: Record<string, string> = {};
  const svgs: string[] = [];
  const pngs: string[] = [];
  for (const f of doc.figures) {
    const svg = await renderSvg(f.spec);
    svgText[f.id] = svg;
    const file = join(figDir, `${f.id}.svg`);
    writeAtomic(file, svg);
    svgs.push(file);
    if (p.runner && (await svgToPng(p.runner, file, join(figDir, `${f.id}.png`)))) pngs.push(join(figDir, `${f.id}.png`));
  }
  const markdown = join(outDir, 'report.md');
  const html = join(outDir, 'report.html');
  writeAtomic(
    markdown,
    renderMarkdown(doc, (id) => `figures/${id}.svg`),
  );
  writeAtomic(html, renderHtml(doc, svgText));
  return { markdown, html, svgs, pngs, data };
}
