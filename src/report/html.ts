/** report.html: one self-contained page (inline CSS, inline SVG figures, no external fetch). Pure. */
import type { ReportDocument } from './markdown.js';
import type { Table } from './tables.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(t: Table): string {
  const th = t.head.map((h, i) => `<th${t.numeric?.includes(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${t.numeric?.includes(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<section id="${t.id}"><h2>${escapeHtml(t.title)}</h2>\n<table><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table>${
    t.note ? `\n<p class="note">${escapeHtml(t.note)}</p>` : ''
  }</section>`;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1320px; color: #1a1a1a; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.intro { color: #444; } p.note, figcaption { color: #555; font-size: 13px; max-width: 900px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { border: 1px solid #d0d0d0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
.figures { display: flex; flex-wrap: wrap; gap: 24px; } figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
ul.care li { margin-bottom: 6px; max-width: 1000px; }
`;

/** `svgs[id]` is the figure's SVG text, inlined. */
export function renderHtml(doc: ReportDocument, svgs: Readonly<Record<string, string>>): string {
  const conditions = doc.tables.find((t) => t.id === 'table-conditions');
  const rest = doc.tables.filter((t) => t !== conditions);
  const figures = doc.figures
    .map(
      (f) => `<figure id="${f.id}">${(svgs[f.id] ?? '').replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(doc.title)}</h1>
<p class="intro">${escapeHtml(doc.intro)}</p>
${rest.map(htmlTable).join('\n')}
${doc.figures.length ? `<section><h2>Figures</h2><div class="figures">\n${figures}\n</div></section>` : ''}
${
  doc.notes.length
    ? `<section><h2>Read with care</h2><ul class="care">${doc.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`
    : ''
}
${conditions ? htmlTable(conditions) : ''}
</body></html>
`;
}
