/**
 * `npm run bench:synth`: wall time and peak memory of whole synth processes (node + tsx + cdktf),
 * for a bare one-resource cdktf app and the testbed at several sizes, in the same run, with the
 * ratios to the bare app. Targets (issue 2): default ≤ 1.3x bare; 1000 computes ≤ 3x bare and
 * ≤ 400 MB peak RSS; linear growth with the host count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const cases = [
  { name: 'bare one-resource app', arg: 'bare' },
  { name: 'default testbed (2 computes)', arg: 'default' },
  { name: '100 compute hosts', arg: '100' },
  { name: '1000 compute hosts', arg: '1000' },
];

function once(arg: string): { ms: number; rssMb: number } {
  const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/synth-app.ts', arg, out], {
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`synth ${arg} failed: ${r.stderr}`);
  const { maxRssKb } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { ms, rssMb: maxRssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`synth benchmark: ${REPEATS} runs per case, median wall time and peak RSS of the whole process (Node ${process.version})`);
once('bare'); // warm the filesystem cache and tsx's transform cache
const results = cases.map((c) => {
  const runs = Array.from({ length: REPEATS }, () => once(c.arg));
  const r = {
    ...c,
    ms: median(runs.map((x) => x.ms)),
    minMs: Math.min(...runs.map((x) => x.ms)),
    maxMs: Math.max(...runs.map((x) => x.ms)),
    rssMb: median(runs.map((x) => x.rssMb)),
  };
  process.stderr.write(`  ${c.name}: ${r.ms.toFixed(0)} ms\n`);
  return r;
});
const bare = results[0]!;
console.log('');
console.log('| case | wall ms median (min-max) | x bare | peak RSS MB | x bare |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.ms.toFixed(0)} (${r.minMs.toFixed(0)}-${r.maxMs.toFixed(0)}) | ${(r.ms / bare.ms).toFixed(2)} | ${r.rssMb.toFixed(0)} | ${(r.rssMb / bare.rssMb).toFixed(2)} |`,
  );
}
const [, def, h100, h1000] = results as [typeof bare, typeof bare, typeof bare, typeof bare];
const perHost100 = (h100.ms - def.ms) / 98;
const perHost1000 = (h1000.ms - def.ms) / 998;
console.log('');
console.log(
  `marginal cost per compute host: ${perHost100.toFixed(2)} ms (2→100), ${perHost1000.toFixed(2)} ms (2→1000); ratio ${(perHost1000 / perHost100).toFixed(2)} (1.0 = linear)`,
);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
console.log(`target default ≤ 1.3x bare: ${(def.ms / bare.ms).toFixed(2)}x ${verdict(def.ms / bare.ms <= 1.3)}`);
console.log(
  `target 1000 hosts ≤ 3x bare: ${(h1000.ms / bare.ms).toFixed(2)}x ${verdict(h1000.ms / bare.ms <= 3)}; peak RSS ≤ 400 MB: ${h1000.rssMb.toFixed(0)} MB ${verdict(h1000.rssMb <= 400)}`,
);
