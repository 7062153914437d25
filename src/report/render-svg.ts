/**
 * Vega-Lite spec → SVG text, headless in Node: Vega's SVG string renderer needs no canvas or
 * browser (text widths are estimated). PNG, where `rsvg-convert` (Debian's librsvg2-bin) exists.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Runner } from '../exec/index.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `png` from `svg` with rsvg-convert; false when the tool is not there (PNG is optional). */
export async function svgToPng(runner: Runner, svgFile: string, pngFile: string): Promise<boolean> {
  try {
    await runner('rsvg-convert', ['--format=png', '--zoom=2', `--output=${pngFile}`, svgFile]);
    return true;
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode === undefined || /ENOENT|not found/i.test(String((err as Error).message))) return false;
    throw err;
  }
}
