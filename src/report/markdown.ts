/** report.md: the tables as GitHub Markdown, the figures as image links to the SVG files beside it. Pure. */
import type { Figure } from './charts.js';
import type { Table } from './tables.js';

export interface ReportDocument {
  readonly title: string;
  readonly intro: string;
  readonly tables: readonly Table[];
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  const align = t.head.map((_, i) => (t.numeric?.includes(i) ? '---:' : '---'));
  return [`| ${t.head.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** `figureFile(id)` is the figure's path relative to report.md (SVG). */
export function renderMarkdown(doc: ReportDocument, figureFile: (id: string) => string): string {
  const out: string[] = [`# ${doc.title}`, '', doc.intro, ''];
  const conditions = doc.tables.find((t) => t.id === 'table-conditions');
  const rest = doc.tables.filter((t) => t !== conditions);
  for (const t of rest) {
    out.push(`## ${t.title}`, '', markdownTable(t), '');
    if (t.note) out.push(`_${t.note}_`, '');
  }
  if (doc.figures.length) out.push('## Figures', '');
  for (const f of doc.figures) out.push(`### ${f.title}`, '', `![${f.title}](${figureFile(f.id)})`, '', f.caption, '');
  if (doc.notes.length) out.push('## Read with care', '', ...doc.notes.map((n) => `- ${n}`), '');
  if (conditions) out.push(`## ${conditions.title}`, '', markdownTable(conditions), '');
  return out.join('\n');
}
