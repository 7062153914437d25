/**
 * The files of one run under `results/<run-id>/`. Every write goes to a temporary file in the same
 * folder and is renamed over the old one, so a crash leaves either the old or the new file, never
 * half of one. The row files are rewritten after every migration and every fio job: an interrupted
 * run keeps everything recorded before the interruption and can be resumed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Conditions } from './conditions.js';
import {
  FIO_CSV_COLUMNS,
  MIGRATION_CSV_COLUMNS,
  RESULTS_FORMAT,
  jsonWithNaN,
  migrationCsvRow,
  toCsv,
  type FioRow,
  type MigrationRow,
  type RunMeta,
  type RunResults,
} from './results.js';

export const RESULTS_FILE = 'results.json';
export const CONDITIONS_FILE = 'conditions.json';

/** A results folder that is missing or not a run: names the path and what was expected. */
export class ResultsError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ResultsError';
  }
}

/** Writes `content` to `path` atomically (temp file in the same folder + rename). */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** A new, sortable, filename-safe run id: `2026-05-03T09-34-57Z-ab12`. */
export function newRunId(now: Date = new Date(), random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `${stamp}-${Math.floor(random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

const MIGRATION_NUMBERS: readonly (keyof MigrationRow)[] = [
  'total_ms',
  'setup_ms',
  'downtime_ms',
  'downtime_real_ms',
  'transferred_bytes',
  'normal_pages',
  'zero_pages',
  'iterations',
  'link_mbit',
  'probe_gap_haproxy_ms',
  'probe_gap_direct_ms',
  'lower_bound_ms',
  'total_over_bound',
  'verify_ms',
];
const FIO_NUMBERS: readonly (keyof FioRow)[] = ['iops', 'mib_s', 'lat_mean_ms', 'lat_p99_ms', 'lat_p9999_ms', 'runtime_s'];

/** JSON stores NaN as null: turn the known numeric fields back into NaN. */
function revive<T extends object>(row: T, fields: readonly (keyof T)[]): T {
  const out = { ...row } as Record<keyof T, unknown>;
  for (const f of fields) if (out[f] === null) out[f] = Number.NaN;
  return out as T;
}

/** Reads a run folder (or its results.json) back; a missing or malformed file names the path. */
export function readRun(dirOrFile: string): { dir: string; results: RunResults; conditions: Conditions | null } {
  const dir = dirOrFile.endsWith(RESULTS_FILE) ? dirOrFile.slice(0, -RESULTS_FILE.length - 1) || '.' : dirOrFile;
  const file = join(dir, RESULTS_FILE);
  if (!existsSync(file)) throw new ResultsError(`${file}: not found; expected a run folder made by \`testbed experiment run\` (results/<run-id>/)`);
  let doc: RunResults;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as RunResults;
  } catch (err) {
    throw new ResultsError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (doc?.meta?.format !== RESULTS_FORMAT || !Array.isArray(doc.migrations) || !Array.isArray(doc.fio)) {
    throw new ResultsError(`${file}: meta.format: not a results file of format ${RESULTS_FORMAT}; got ${JSON.stringify(doc?.meta?.format)}`);
  }
  const condFile = join(dir, CONDITIONS_FILE);
  const conditions = existsSync(condFile) ? (JSON.parse(readFileSync(condFile, 'utf8')) as Conditions) : null;
  return {
    dir,
    results: {
      meta: doc.meta,
      // Rows of runs recorded before the check counts existed read as "nothing checked".
      migrations: doc.migrations.map((m) =>
        revive({ verified_pages: 0, verified_blocks: 0, verify_ms: null, nova_schedule: [], ...m }, MIGRATION_NUMBERS),
      ),
      fio: doc.fio.map((f) => revive(f, FIO_NUMBERS)),
    },
    conditions,
  };
}

/** One run's folder, open for recording. */
export class RunStore {
  private meta: RunMeta;
  private readonly migrations: MigrationRow[];
  private readonly fio: FioRow[];

  private constructor(
    readonly dir: string,
    results: RunResults,
  ) {
    this.meta = results.meta;
    this.migrations = [...results.migrations];
    this.fio = [...results.fio];
  }

  /** Creates `<root>/<meta.run_id>/` (it must not exist) and writes an empty results set. */
  static create(root: string, meta: Omit<RunMeta, 'format' | 'updated_at' | 'complete'>): RunStore {
    const dir = join(root, meta.run_id);
    if (existsSync(join(dir, RESULTS_FILE)))
      throw new ResultsError(`${dir}: a run with this id already exists; resume it with --resume ${meta.run_id}`);
    mkdirSync(join(dir, 'raw'), { recursive: true });
    const store = new RunStore(dir, {
      meta: { ...meta, format: RESULTS_FORMAT, updated_at: meta.created_at, complete: false },
      migrations: [],
      fio: [],
    });
    store.flush();
    return store;
  }

  /** Opens `<root>/<runId>/` to add to it (resume). */
  static open(root: string, runId: string): RunStore {
    const { dir, results } = readRun(join(root, runId));
    mkdirSync(join(dir, 'raw'), { recursive: true });
    return new RunStore(dir, results);
  }

  get runId(): string {
    return this.meta.run_id;
  }

  results(): RunResults {
    return { meta: this.meta, migrations: [...this.migrations], fio: [...this.fio] };
  }

  /** Stores the raw hypervisor stats first, then the row: a row never points at a missing raw file. */
  recordMigration(row: MigrationRow, raw: unknown): void {
    writeAtomic(join(this.dir, row.raw_file), jsonWithNaN(raw ?? null));
    this.migrations.push(row);
    this.flush();
  }

  recordFio(row: FioRow, rawJson: string): void {
    writeAtomic(join(this.dir, row.raw_file), rawJson);
    this.fio.push(row);
    this.flush();
  }

  writeConditions(conditions: Conditions): void {
    writeAtomic(join(this.dir, CONDITIONS_FILE), JSON.stringify(conditions, null, 2) + '\n');
  }

  updateMeta(patch: Partial<Pick<RunMeta, 'complete' | 'interrupted'>>): void {
    this.meta = { ...this.meta, ...patch };
    this.flush();
  }

  private flush(): void {
    this.meta = { ...this.meta, updated_at: new Date().toISOString() };
    writeAtomic(join(this.dir, RESULTS_FILE), jsonWithNaN(this.results()));
    writeAtomic(join(this.dir, 'migrations.csv'), toCsv(this.migrations.map(migrationCsvRow), MIGRATION_CSV_COLUMNS));
    writeAtomic(join(this.dir, 'fio.csv'), toCsv(this.fio, FIO_CSV_COLUMNS));
  }
}
