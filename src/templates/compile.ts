/**
 * The one way templates are compiled: a private Handlebars instance, `{ strict: true, noEscape: true }`.
 *
 * - strict: a field the data does not have throws, and the error names the template, the field and
 *   the expression (Handlebars' own message only says `"x" not defined in [object Object]`);
 * - noEscape: these are config files, not HTML (Handlebars would turn `=` into `&#x3D;`).
 * Templates live in `templates/<name>.hbs` and are read and compiled once per process.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** The repository's `templates/` folder (this file is `src/templates/compile.ts`). */
export const TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates');

/** A template could not be rendered: names the template file, the missing field and where it is used. */
export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const hbs = Handlebars.create();
/** `{{join list ", "}}`: a list of plain values joined by a separator. */
hbs.registerHelper('join', (list: unknown, sep: unknown) => {
  if (!Array.isArray(list)) throw new Error(`join needs a list, got ${JSON.stringify(list)}`);
  return list.join(typeof sep === 'string' ? sep : ', ');
});

export type TemplateFn<T> = (data: T) => string;

const cache = new Map<string, TemplateFn<unknown>>();

/** Where `"y" not defined in [object Object] - 3:16` points in `source`, as the `{{...}}` expression. */
function expressionAt(source: string, line: number, col: number): string | undefined {
  const text = source.split('\n')[line - 1];
  if (text === undefined) return undefined;
  const start = text.lastIndexOf('{{', col);
  const end = text.indexOf('}}', col);
  return start >= 0 && end > start ? text.slice(start, end + 2) : undefined;
}

/** Compiles `source` (the text of `templates/<file>`); `file` is used in messages. */
export function compileSource<T>(file: string, source: string): TemplateFn<T> {
  const fn = hbs.compile(source, { strict: true, noEscape: true });
  return (data: T) => {
    try {
      return fn(data);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const m = /^"([^"]+)" not defined in .* - (\d+):(\d+)$/.exec(msg);
      if (m) {
        const [, field, line, col] = m;
        const expr = expressionAt(source, Number(line), Number(col));
        throw new TemplateError(
          file,
          field,
          `templates/${file}:${line}:${Number(col) + 1}: missing field "${field}"${expr ? ` (used by ${expr})` : ''}; the data passed to the template has no such field, so fill it in the template's data builder`,
        );
      }
      throw new TemplateError(file, undefined, `templates/${file}: ${msg}`);
    }
  };
}

/** Loads and compiles `templates/<file>` once. */
export function compileTemplate<T>(file: string): TemplateFn<T> {
  let fn = cache.get(file);
  if (!fn) {
    fn = compileSource<unknown>(file, readFileSync(resolve(TEMPLATES_DIR, file), 'utf8'));
    cache.set(file, fn);
  }
  return fn as TemplateFn<T>;
}

/** The first lines of every rendered file: where it comes from, and not to edit it. */
export function generatedHeader(source: string, comment = '#'): string {
  return [
    `${comment} Generated from ${source} by \`testbed render\`; do not edit.`,
    `${comment} Change testbed.yaml (overrides go in its overrides sections) and render again.`,
  ].join('\n');
}
