/**
 * Recorded metrics for `testbed policy plan --metrics FILE`: one JSON snapshot, snake_case keys like
 * testbed.yaml. Example:
 *
 *   { "now": "2026-01-01T12:00:00Z",
 *     "hosts": [{ "name": "compute-1", "vcpus": 16, "memory_mib": 65536, "cpu_pct": 30, "ram_pct": 40 }],
 *     "vms": [{ "id": "web-1", "host": "compute-1", "cpu_pct": 12, "ram_pct": 20, "vcpus": 2, "memory_mib": 2048,
 *               "cpu_avg_pct": 15, "ram_avg_pct": 22, "net_bytes_per_s": 1000, "dirty_bytes_per_s": 1048576,
 *               "lb": "web/web-1" }] }
 *
 * Averages default to the current values, `sampled_at` to `now`, `now` to the newest `sampled_at`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ClusterSnapshot } from './interfaces.js';

const pct = z.number().min(0).max(100);
const time = z.union([z.number().nonnegative(), z.string().datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const recordedSchema = z
  .object({
    now: time.optional(),
    hosts: z.array(
      z
        .object({
          name: z.string().min(1),
          vcpus: z.number().positive(),
          memory_mib: z.number().positive(),
          cpu_pct: pct,
          ram_pct: pct,
          usable: z.boolean().default(true),
          migration_bytes_per_s: z.number().positive().optional(),
          migrations_in_flight: z.number().int().min(0).default(0),
        })
        .strict(),
    ),
    vms: z.array(
      z
        .object({
          id: z.string().min(1),
          host: z.string().min(1),
          cpu_pct: pct,
          ram_pct: pct,
          cpu_avg_pct: pct.optional(),
          ram_avg_pct: pct.optional(),
          net_bytes_per_s: z.number().min(0).default(0),
          dirty_bytes_per_s: z.number().min(0).optional(),
          vcpus: z.number().positive(),
          memory_mib: z.number().positive(),
          sampled_at: time.optional(),
          lb: z
            .string()
            .regex(/^[^/\s]+\/[^/\s]+$/, 'backend/server')
            .optional(),
          ip: z.string().optional(),
          created_by_job: z.boolean().default(false),
          anti_affinity_group: z.string().optional(),
          migrating: z.boolean().default(false),
        })
        .strict(),
    ),
  })
  .strict();

export class RecordedMetricsError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'RecordedMetricsError';
  }
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const k of path) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined;
  return node;
}

/** Parses a recorded snapshot; every problem names the file, key path, value received and what is allowed. */
export function parseRecordedSnapshot(text: string, file: string): ClusterSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RecordedMetricsError(`${file}: not JSON (${(err as Error).message}); allowed: a JSON snapshot as in docs/policy.md`);
  }
  const r = recordedSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.reduce<string>((a, k) => (typeof k === 'number' ? `${a}[${k}]` : a ? `${a}.${k}` : k), '');
      return `  - ${file}: ${path || '(top level)'}: ${i.message}; got ${JSON.stringify(valueAt(raw, i.path)) ?? 'nothing'}`;
    });
    throw new RecordedMetricsError(`${file}: ${lines.length} problem(s) in the recorded metrics\n${lines.join('\n')}`);
  }
  const d = r.data;
  const newest = Math.max(0, ...d.vms.map((v) => v.sampled_at ?? 0));
  const now = d.now ?? (newest || Date.now());
  return {
    now,
    lbReachable: true,
    memory: { lastState: {}, cooldownUntil: {} },
    hosts: d.hosts.map((h) => ({
      name: h.name,
      usable: h.usable,
      vcpus: h.vcpus,
      memoryMiB: h.memory_mib,
      cpuPct: h.cpu_pct,
      ramPct: h.ram_pct,
      ...(h.migration_bytes_per_s ? { migrationBytesPerS: h.migration_bytes_per_s } : {}),
      migrationsInFlight: h.migrations_in_flight,
    })),
    vms: d.vms.map((v) => {
      const [backend, server] = v.lb ? (v.lb.split('/') as [string, string]) : [];
      return {
        id: v.id,
        host: v.host,
        cpuPct: v.cpu_pct,
        ramPct: v.ram_pct,
        cpuAvgPct: v.cpu_avg_pct ?? v.cpu_pct,
        ramAvgPct: v.ram_avg_pct ?? v.ram_pct,
        netBytesPerS: v.net_bytes_per_s,
        ...(v.dirty_bytes_per_s === undefined ? {} : { dirtyBytesPerS: v.dirty_bytes_per_s }),
        vcpus: v.vcpus,
        memoryMiB: v.memory_mib,
        sampledAt: v.sampled_at ?? now,
        ...(backend && server ? { lb: { backend, server } } : {}),
        ...(v.ip ? { ip: v.ip } : {}),
        createdByJob: v.created_by_job,
        ...(v.anti_affinity_group ? { antiAffinityGroup: v.anti_affinity_group } : {}),
        migrating: v.migrating,
      };
    }),
  };
}

export function loadRecordedSnapshot(file: string): ClusterSnapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RecordedMetricsError(
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); allowed: a readable JSON file`,
    );
  }
  return parseRecordedSnapshot(text, file);
}
