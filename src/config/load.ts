/**
 * Loads `testbed.yaml` into one validated, typed `TestbedSpec`.
 *
 * Every problem is reported at once, each naming the file, the key path, the value received and
 * what is allowed; an unknown key gets a "did you mean". Nothing else in the project reads the file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { checkRules, type SpecProblem } from './rules.js';
import { testbedSpecSchema, type TestbedSpec } from './schema.js';

/** The default spec file, relative to the working directory. */
export const DEFAULT_SPEC_FILE = 'testbed.yaml';

/** A user error in the spec: the CLI prints it without a stack trace and exits with code 2. */
export class SpecError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    readonly problems: readonly SpecProblem[],
  ) {
    super(formatProblems(file, problems));
    this.name = 'SpecError';
  }
}

export interface LoadedSpec {
  readonly spec: TestbedSpec;
  readonly file: string;
  readonly warnings: readonly SpecProblem[];
}

export function formatProblem(file: string, p: SpecProblem): string {
  return `${file}: ${p.path || '(top level)'}: ${p.message}; got ${show(p.value)}; allowed: ${p.allowed}`;
}

export function formatProblems(file: string, problems: readonly SpecProblem[]): string {
  const head = `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the testbed spec`;
  return [head, ...problems.map((p) => `  - ${formatProblem(file, p)}`)].join('\n');
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}

function pathText(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '');
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Unwraps defaults, optionals and effects to reach the object schema at `path`, to list its keys. */
function keysAt(schema: z.ZodTypeAny, path: ReadonlyArray<string | number>): string[] {
  let node: z.ZodTypeAny = schema;
  const unwrap = (n: z.ZodTypeAny): z.ZodTypeAny => {
    for (;;) {
      if (n instanceof z.ZodDefault) n = n._def.innerType;
      else if (n instanceof z.ZodOptional || n instanceof z.ZodNullable) n = n.unwrap();
      else if (n instanceof z.ZodEffects) n = n.innerType();
      else return n;
    }
  };
  for (const key of path) {
    node = unwrap(node);
    if (node instanceof z.ZodObject && typeof key === 'string') node = node.shape[key];
    else if (node instanceof z.ZodArray) node = node.element;
    else if (node instanceof z.ZodRecord) node = node.valueSchema;
    else return [];
    if (!node) return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function didYouMean(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function allowedFor(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.received === 'undefined' ? `a ${issue.expected} (the key is required)` : `a ${issue.expected}`;
    case 'invalid_enum_value':
      return `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'invalid_literal':
      return JSON.stringify(issue.expected);
    case 'too_small':
      if (issue.type === 'array') return `at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.type === 'string') return `at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'}`;
      return `a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.type === 'array') return `at most ${issue.maximum} items`;
      return `a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_string':
      return issue.message;
    case 'invalid_union':
      return issue.unionErrors
        .flatMap((e) => e.issues.map((i) => allowedFor(i)))
        .filter((v, i, all) => all.indexOf(v) === i)
        .join(', or ');
    case 'not_multiple_of':
      return `a multiple of ${issue.multipleOf}`;
    default:
      return issue.message;
  }
}

function problemsFromZod(error: z.ZodError, raw: unknown): SpecProblem[] {
  return error.issues.flatMap((issue): SpecProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(testbedSpecSchema, issue.path);
      return issue.keys.map((key) => {
        const guess = didYouMean(key, known);
        return {
          path: pathText([...issue.path, key]),
          message: `unknown key${guess ? `; did you mean "${guess}"?` : ''}`,
          value: valueAt(raw, [...issue.path, key]),
          allowed: known.length ? `one of the keys ${known.join(', ')}` : 'no keys here',
        };
      });
    }
    const message =
      issue.code === 'invalid_type' && issue.received === 'undefined'
        ? 'missing'
        : issue.code === 'invalid_type'
          ? `wrong type (${issue.received})`
          : issue.code === 'invalid_string' || issue.code === 'invalid_union'
            ? 'invalid value'
            : issue.code === 'too_small' || issue.code === 'too_big'
              ? 'out of range'
              : issue.code === 'invalid_enum_value'
                ? 'not an allowed value'
                : issue.message;
    return [{ path: pathText(issue.path), message, value: valueAt(raw, issue.path), allowed: allowedFor(issue) }];
  });
}

/** Validates an already-parsed document. `file` is used in messages only. */
export function validateSpec(raw: unknown, file = DEFAULT_SPEC_FILE): { spec: TestbedSpec; warnings: SpecProblem[] } {
  const input = raw === null || raw === undefined ? {} : raw;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new SpecError(file, [
      { path: '', message: 'the spec must be a mapping of keys', value: input, allowed: 'a YAML mapping such as `name: sds-testbed`' },
    ]);
  }
  const parsed = testbedSpecSchema.safeParse(input);
  if (!parsed.success) {
    // Report the cross-field problems too: check the rules on a copy with the bad keys removed
    // (so their defaults apply), keeping only problems at paths not already reported.
    const problems = problemsFromZod(parsed.error, input);
    const repaired = withoutBadKeys(input, parsed.error);
    if (repaired) {
      const reported = new Set(problems.map((p) => p.path));
      problems.push(...checkRules(repaired).problems.filter((p) => !reported.has(p.path)));
    }
    throw new SpecError(file, problems);
  }
  const { problems, warnings } = checkRules(parsed.data);
  if (problems.length) throw new SpecError(file, problems);
  return { spec: parsed.data, warnings };
}

function withoutBadKeys(input: object, error: z.ZodError): TestbedSpec | undefined {
  const copy = structuredClone(input) as Record<string | number, unknown>;
  let issues = error.issues;
  for (let round = 0; round < 3; round++) {
    for (const issue of issues) {
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const path of paths) {
        if (path.length === 0) return undefined;
        const parent = valueAt(copy, path.slice(0, -1));
        if (parent && typeof parent === 'object' && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[path[path.length - 1]!];
        else return undefined;
      }
    }
    const again = testbedSpecSchema.safeParse(copy);
    if (again.success) return again.data;
    issues = again.error.issues;
  }
  return undefined;
}

/** Parses YAML text; syntax errors are reported with their line and column. */
export function parseSpecText(text: string, file = DEFAULT_SPEC_FILE): { spec: TestbedSpec; warnings: SpecProblem[] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new SpecError(
      file,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
        value: undefined,
        allowed: 'valid YAML',
      })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // The yaml package refuses alias chains that expand too far (a "billion laughs" document).
    if (!(err instanceof ReferenceError)) throw err;
    throw new SpecError(file, [
      {
        path: '',
        message: `YAML aliases expand too far (${err.message.split('\n')[0]})`,
        value: undefined,
        allowed:
          "anchors and aliases (&name, *name) that do not multiply (the yaml parser's maxAliasCount is 100); write the repeated values out instead",
      },
    ]);
  }
  return validateSpec(raw, file);
}

/** Reads and validates a spec file. A missing default file means "the study's testbed, all defaults". */
export function loadSpec(file: string = process.env.TESTBED_SPEC ?? DEFAULT_SPEC_FILE): LoadedSpec {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError(file, [
      {
        path: '',
        message: `cannot read the file (${code})`,
        value: path,
        allowed: 'a readable YAML file; `testbed.yaml` in the repository documents every key',
      },
    ]);
  }
  return { ...parseSpecText(text, file), file };
}
