/**
 * `npm start`, the README's main command: the whole study on the one-machine lab.
 *   1. preflight (installs what is missing when root);
 *   2. `cdktf deploy lab`;
 *   3. the scaled experiment (`testbed experiment run --target lab`);
 *   4. `testbed report`, printing where the report is;
 *   5. `cdktf destroy lab`, unless --keep (also after a failure, so the machine is left clean).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cdktf, execaRunner, ToolFailedError } from '../../exec/index.js';
import { loadSpec } from '../../config/index.js';
import type { Command } from '../command.js';
import { planRun, runOptionSpecs } from './run-options.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/testbed.mjs');

/**
 * The scaled run's defaults, sized to finish within 20 minutes on 2 cores under TCG: 3 repetitions
 * per cell (enough for the report's bootstrap intervals), the study's "with and without load" as
 * the loads none and memory+disk (the guest dirties its working set and writes its disk at once), on
 * the flavors small and xlarge (xlarge is the one the study's Table IV reports; small is the cheapest
 * contrast; medium and large are traded for the repetitions: `--flavors small,medium,large,xlarge`
 * runs them all), and fio 3 × 6 s per job and pool. With the loads none, memory and disk apart it
 * took 20.3 min here (2026-12-04).
 */
export const START_DEFAULTS = { reps: 3, fioRuntimeS: 6, flavors: 'small,xlarge', loads: 'none,memory+disk' } as const;

export const startCommand: Command = {
  name: ['start'],
  summary: "the README's main command: deploy the lab, run the study's experiments scaled, write the report, destroy the lab",
  usage: 'testbed start [--keep] [--reps N] [--fio-runtime-s N] [--flavors ...] [--pools ...] [--load ...] [--no-fio] [--out DIR] [--spec FILE]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        keep: { type: 'boolean', default: false },
        ...runOptionSpecs,
        reps: { type: 'string', default: String(START_DEFAULTS.reps) },
        'fio-runtime-s': { type: 'string', default: String(START_DEFAULTS.fioRuntimeS) },
        flavors: { type: 'string', default: START_DEFAULTS.flavors },
        load: { type: 'string', default: START_DEFAULTS.loads },
        out: { type: 'string', default: 'results' },
        spec: { type: 'string' },
      },
    });
    // Every option is checked before anything is installed or deployed.
    const loaded = loadSpec(values.spec);
    planRun(loaded.spec, values);
    const env: Record<string, string> = values.spec ? { TESTBED_SPEC: resolve(values.spec) } : {};
    const specArgs = values.spec ? ['--spec', resolve(values.spec)] : [];
    const started = Date.now();
    const clock = () => `${((Date.now() - started) / 60_000).toFixed(1)} min`;
    const step = (n: number, what: string) => err(`\n==> [${n}/5 at ${clock()}] ${what}`);
    const testbed = (args: string[], inherit = true) => execaRunner(process.execPath, [CLI, ...args, ...specArgs], { inherit, env });
    let deployed = false;
    try {
      step(1, 'preflight');
      try {
        await testbed(['lab', 'preflight', 'up']);
      } catch (e) {
        // The preflight printed what is wrong and how to fix it; its exit code 2 means "fix this machine".
        if (!(e instanceof ToolFailedError)) throw e;
        err(`testbed start: the preflight failed (its message is above); nothing was deployed`);
        return e.exitCode === 2 ? 2 : 1;
      }
      step(2, 'cdktf deploy lab');
      deployed = true;
      await cdktf(['deploy', 'lab', '--auto-approve'], { env });
      step(3, `experiments (flavors ${values.flavors}, loads ${values.load}, reps ${values.reps}, fio ${values['fio-runtime-s']} s per job)`);
      const opt = (name: string, v: string | undefined) => (v ? [`--${name}`, v] : []);
      // Progress streams to the terminal; the new folder under --out is the run.
      const outDir = resolve(values.out!);
      const before = new Set(existsSync(outDir) ? readdirSync(outDir) : []);
      await execaRunner(
        process.execPath,
        [
          CLI,
          'experiment',
          'run',
          '--target',
          'lab',
          '--reps',
          values.reps!,
          '--fio-runtime-s',
          values['fio-runtime-s']!,
          ...(values['no-fio'] ? ['--no-fio'] : []),
          '--out',
          outDir,
          ...opt('flavors', values.flavors),
          ...opt('pools', values.pools),
          ...opt('load', values.load),
          ...specArgs,
        ],
        { env, inherit: true },
      );
      const created = readdirSync(outDir).filter((d) => !before.has(d));
      if (created.length !== 1) throw new Error(`expected one new run under ${outDir}, found ${created.length}`);
      const dir = join(outDir, created[0]!);
      step(4, 'report');
      await testbed(['report', dir]);
      out(`\nreport: ${resolve(dir, 'report.html')} (and report.md, figures/)`);
    } catch (e) {
      if (e instanceof ToolFailedError) err(`testbed start: ${e.message}`);
      else throw e;
      return 1;
    } finally {
      if (deployed && !values.keep) {
        step(5, 'cdktf destroy lab');
        await cdktf(['destroy', 'lab', '--auto-approve'], { env }).catch((e: Error) =>
          err(`cdktf destroy lab failed: ${e.message}; run it again to clean up`),
        );
      } else if (values.keep) err('\n--keep: the lab stays up (`npx cdktf destroy lab --auto-approve` removes it)');
      err(`\ntestbed start: ${clock()} in all`);
    }
  },
};
