/**
 * The report's figures as Vega-Lite specs (data inlined), numbered as in the study:
 * Fig 7 Filestore vs Bluestore with and without load, Fig 8 migration time per flavor,
 * Fig 9 downtime per flavor, Figs 10-11 fio throughput and IOPS per backend.
 * Every bar is a median with a min–max whisker; migration figures carry the physical lower bound.
 * Pure: `render-svg.ts` turns a spec into SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import { STUDY_TABLE_IV } from './study.js';
import type { FioCellSummary, MigrationCellSummary, ReportData } from './summarize.js';

export interface Figure {
  /** File stem, e.g. `fig-8-migration-time`. */
  readonly id: string;
  readonly title: string;
  /** One paragraph: what is shown and how to read it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];
export const BOUND_LABEL = 'lower bound (bytes sent ÷ link)';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11 },
  header: { labelFontSize: 12 },
};

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The legend entry of a bar: the pool, prefixed by the run when several runs are compared. */
export function seriesName(runCount: number, run: string, pool: string): string {
  return runCount > 1 ? `${run} · ${pool}` : pool;
}

/** `#4c78a8` mixed with white: the study's bars, in a lighter shade of the backend's own colour. */
export function lighter(hex: string, amount = 0.55): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * amount);
  return `#${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => mix(c).toString(16).padStart(2, '0')).join('')}`;
}

/** The study's series for a backend, e.g. `study · filestore`. */
export const studySeries = (backend: string) => `study · ${backend}`;

/** Our series take the palette in order; a study series takes a lighter shade of the first of our series on its backend. */
function colorScale(series: readonly string[], study: readonly { series: string; like: string }[], extra: readonly [string, string][]) {
  const ours = series.map((_, i) => PALETTE[i % PALETTE.length]!);
  return {
    domain: [...series, ...study.map((s) => s.series), ...extra.map(([d]) => d)],
    range: [...ours, ...study.map((s) => lighter(ours[Math.max(0, series.indexOf(s.like))]!)), ...extra.map(([, c]) => c)],
  };
}

function uniq(values: readonly string[]): string[] {
  return [...new Set(values)];
}

interface BarLayersProps {
  readonly x: string;
  readonly xSort: readonly string[];
  readonly xTitle: string;
  readonly yTitle: string;
  readonly series: readonly string[];
  /** The study's series, drawn as lighter bars from `lo` to `hi` after ours; `like` is our series whose colour it lightens. @default [] */
  readonly study?: readonly { series: string; like: string }[];
  /** Marks drawn over the bars: field → legend label and colour. */
  readonly markers: readonly { field: string; label: string; color: string; shape: 'tick' | 'point' }[];
}

function barLayers(p: BarLayersProps) {
  const study = p.study ?? [];
  const x = { field: p.x, type: 'nominal' as const, sort: [...p.xSort], title: p.xTitle, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal' as const, sort: [...p.series, ...study.map((s) => s.series)] };
  const scale = colorScale(
    p.series,
    study,
    p.markers.map((m) => [m.label, m.color] as [string, string]),
  );
  const ours = { filter: "datum.kind !== 'study'" };
  const studyLayer = {
    transform: [{ filter: "datum.kind === 'study'" }],
    mark: { type: 'bar' as const, tooltip: true },
    encoding: {
      x,
      xOffset,
      y: { field: 'lo', type: 'quantitative' as const, title: p.yTitle },
      y2: { field: 'hi' },
      color: { field: 'series', type: 'nominal' as const, title: null, scale },
    },
  };
  return [
    ...(study.length ? [studyLayer] : []),
    {
      transform: [ours],
      mark: { type: 'bar' as const, tooltip: true },
      encoding: {
        x,
        xOffset,
        y: { field: 'median', type: 'quantitative' as const, title: p.yTitle },
        color: {
          field: 'series',
          type: 'nominal' as const,
          title: null,
          scale,
          legend: { orient: 'bottom' as const, direction: 'horizontal' as const, labelLimit: 400, symbolType: 'square' },
        },
      },
    },
    {
      transform: [ours],
      mark: { type: 'rule' as const, color: '#222', strokeWidth: 1.5 },
      encoding: { x, xOffset, y: { field: 'min', type: 'quantitative' as const }, y2: { field: 'max' } },
    },
    ...p.markers.map((m) => ({
      transform: [ours],
      mark: m.shape === 'tick' ? { type: 'tick' as const, thickness: 3 } : { type: 'point' as const, filled: true, size: 40 },
      encoding: { x, xOffset, y: { field: m.field, type: 'quantitative' as const }, color: { datum: m.label, type: 'nominal' as const, scale } },
    })),
  ];
}

function migrationRows(data: ReportData, pick: (c: MigrationCellSummary) => { median: number; min: number; max: number }, scale: number) {
  const runCount = data.runs.length;
  return data.migrations.map((c) => {
    const s = pick(c);
    return {
      series: seriesName(runCount, c.run, c.pool),
      flavor: c.flavor,
      load: `load ${c.load}`,
      median: num(s.median / scale),
      min: num(s.min / scale),
      max: num(s.max / scale),
      bound: num(c.bound.median / scale),
      qemu: num(c.downtimeQemu.median / scale),
      probe: num(c.probeHaproxy.median / scale),
      ok: c.ok,
      failed: c.failed,
    };
  });
}

/**
 * The study's Table IV times as bars beside ours: for each of its values whose flavor this figure
 * shows, one row per load shown (the study does not say its load), from its low to its high end
 * (from 0 for a single value).
 */
export function studyRows(data: ReportData, measure: 'total', scale: number) {
  const flavors = new Set(data.migrations.map((c) => c.flavor));
  const loads = uniq(data.migrations.map((c) => c.load));
  return STUDY_TABLE_IV.filter((t) => t.measure === measure && t.backend && flavors.has(t.flavor)).flatMap((t) =>
    loads
      .filter(
        (l) =>
          (t.load === undefined || t.load === l) && data.migrations.some((c) => c.flavor === t.flavor && c.load === l && c.backend === t.backend),
      )
      .map((l) => ({
        kind: 'study',
        series: studySeries(t.backend!),
        flavor: t.flavor,
        load: `load ${l}`,
        lo: t.loS === t.hiS ? 0 : (t.loS * 1000) / scale,
        hi: (t.hiS * 1000) / scale,
        source: t.source.where,
      })),
  );
}

/** Each study series shown, with the first of our series on the same backend (whose colour it lightens). */
function studyLegend(data: ReportData, rows: readonly { series: string }[]) {
  return uniq(rows.map((r) => r.series)).map((series) => {
    const backend = series.replace(/^study · /, '');
    const like = data.migrations.find((c) => c.backend === backend);
    return { series, like: like ? seriesName(data.runs.length, like.run, like.pool) : '' };
  });
}

function faceted(
  title: string,
  values: readonly object[],
  column: { field: string; sort: readonly string[] },
  width: number,
  layers: object[],
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, anchor: 'start', fontSize: 14 },
    background: 'white',
    config: CONFIG,
    data: { values: [...values] },
    facet: { column: { field: column.field, type: 'nominal', sort: [...column.sort], title: null, header: { labelFontSize: 12 } } },
    spec: { width, height: 260, layer: layers },
    // xOffset per panel: a panel without the study's bars keeps no empty slots for them
    resolve: { scale: { y: 'independent', xOffset: 'independent' } },
  } as TopLevelSpec;
}

const STUDY_BARS =
  " Lighter bars, where the study gives a value (Table IV, XL only among what this project can cite): the study's range for that backend, from its low to its high end; " +
  'the study does not say under which load, so the same range stands in every load. Flavors without a study value have none.';

export function migrationFigures(data: ReportData): Figure[] {
  if (data.migrations.length === 0) return [];
  const flavors = uniq(data.migrations.map((c) => c.flavor));
  const loads = uniq(data.migrations.map((c) => `load ${c.load}`));
  const series = uniq(data.migrations.map((c) => seriesName(data.runs.length, c.run, c.pool)));
  const bound = { field: 'bound', label: BOUND_LABEL, color: '#000000', shape: 'tick' as const };
  const studyTotal = studyRows(data, 'total', 1000);
  const totalRows = [...migrationRows(data, (c) => c.total, 1000), ...studyTotal];
  const study = studyLegend(data, studyTotal);
  const perGroup = Math.max(1, series.length + study.length) * 38 + 24;
  const perGroupOurs = Math.max(1, series.length) * 38 + 24;

  const fig8 = faceted(
    'Fig 8. Live-migration time per flavor',
    totalRows,
    { field: 'load', sort: loads },
    flavors.length * perGroup,
    barLayers({
      x: 'flavor',
      xSort: flavors,
      xTitle: 'flavor',
      yTitle: 'migration time (s)',
      series,
      study,
      markers: [bound],
    }),
  );
  const fig9 = faceted(
    'Fig 9. Downtime per flavor',
    migrationRows(data, (c) => c.downtimeReal, 1),
    { field: 'load', sort: loads },
    flavors.length * perGroupOurs,
    barLayers({
      x: 'flavor',
      xSort: flavors,
      xTitle: 'flavor',
      yTitle: 'downtime (ms)',
      series,
      markers: [
        { field: 'qemu', label: 'QEMU-reported downtime', color: '#000000', shape: 'tick' },
        { field: 'probe', label: 'client probe gap (HAProxy)', color: '#d62728', shape: 'point' },
      ],
    }),
  );
  const fig7 = faceted(
    'Fig 7. Filestore vs Bluestore, with and without load',
    totalRows,
    { field: 'flavor', sort: flavors },
    loads.length * perGroup,
    barLayers({
      x: 'load',
      xSort: loads,
      xTitle: null as unknown as string,
      yTitle: 'migration time (s)',
      series,
      study,
      markers: [bound],
    }),
  );
  return [
    {
      id: 'fig-7-backends-load',
      title: 'Fig 7. Filestore vs Bluestore, with and without load',
      caption:
        'Median live-migration time per backend, one panel per flavor, without and with the in-guest memory load. Whiskers: min–max over the completed repetitions. Black tick: the physical lower bound, bytes sent ÷ link bandwidth.' +
        STUDY_BARS,
      spec: fig7,
    },
    {
      id: 'fig-8-migration-time',
      title: 'Fig 8. Live-migration time per flavor',
      caption:
        'Median total migration time (QEMU total-time) per flavor and backend, one panel per load; each panel has its own scale. Whiskers: min–max. Black tick: the physical lower bound (bytes sent ÷ link bandwidth); a bar close to its tick is limited by the link.' +
        STUDY_BARS,
      spec: fig8,
    },
    {
      id: 'fig-9-downtime',
      title: 'Fig 9. Downtime per flavor',
      caption:
        'Bars: median real downtime (destination RESUME − source STOP, QMP events), whiskers min–max. Black tick: the downtime QEMU itself reports. Red dot: the longest gap a client probing every ≤ 10 ms through HAProxy saw. ' +
        "The study's downtimes are not given in any source this project can cite, so it has no bars here.",
      spec: fig9,
    },
  ];
}

function fioRows(data: ReportData, pick: (c: FioCellSummary) => { median: number; min: number; max: number }) {
  return data.fio.map((c) => {
    const s = pick(c);
    return {
      series: seriesName(data.runs.length, c.run, c.pool),
      job: `4K ${c.job}`,
      median: num(s.median),
      min: num(s.min),
      max: num(s.max),
      ok: c.ok,
    };
  });
}

function fioSpec(title: string, values: readonly object[], jobs: readonly string[], series: readonly string[], yTitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, anchor: 'start', fontSize: 14 },
    background: 'white',
    config: CONFIG,
    data: { values: [...values] },
    width: jobs.length * (series.length * 48 + 40),
    height: 260,
    layer: barLayers({ x: 'job', xSort: jobs, xTitle: 'fio job (iodepth 32, RBD cache off)', yTitle, series, markers: [] }),
  } as TopLevelSpec;
}

export function fioFigures(data: ReportData): Figure[] {
  if (data.fio.length === 0) return [];
  const jobs = uniq(data.fio.map((c) => `4K ${c.job}`));
  const series = uniq(data.fio.map((c) => seriesName(data.runs.length, c.run, c.pool)));
  return [
    {
      id: 'fig-10-fio-throughput',
      title: 'Fig 10. fio throughput per backend',
      caption:
        'Median MiB/s of 4K random writes and reads through librbd (ioengine=rbd), whiskers min–max over the repeats. Reads are not a fair comparison when the image fits in RAM: Filestore reads come from the OSD host’s page cache.',
      spec: fioSpec(
        'Fig 10. fio throughput per backend',
        fioRows(data, (c) => c.mibS),
        jobs,
        series,
        'throughput (MiB/s)',
      ),
    },
    {
      id: 'fig-11-fio-iops',
      title: 'Fig 11. fio IOPS per backend',
      caption: 'Median IOPS of the same jobs, whiskers min–max over the repeats.',
      spec: fioSpec(
        'Fig 11. fio IOPS per backend',
        fioRows(data, (c) => c.iops),
        jobs,
        series,
        'IOPS',
      ),
    },
  ];
}

export function allFigures(data: ReportData): Figure[] {
  return [...migrationFigures(data), ...fioFigures(data)];
}
