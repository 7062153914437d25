/**
 * The migration-policy job against the lab, as a background service: `testbed policy run --target
 * lab` with a PID file, its structured JSON log and its leader lock under <lab.dir>/policy/.
 * `lab.policy_job` says whether it acts or only decides (dry-run, the default while experiments run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestbedSpec } from '../../../config/index.js';
import { runningPid, startDaemon, stopDaemon } from './daemon.js';
import type { LabPhase } from './phase.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../bin/testbed.mjs');

export function policyFiles(labDir: string) {
  const dir = join(labDir, 'policy');
  return { dir, pidFile: join(dir, 'policy.pid'), logFile: join(dir, 'policy.log'), lock: join(dir, 'leader.lock') };
}

export interface PolicyJobStatus {
  readonly pid?: number;
  readonly mode: TestbedSpec['lab']['policy_job'];
  /** The last structured events of the job's log, newest last. */
  readonly events: readonly Record<string, unknown>[];
}

export function policyJobStatus(spec: TestbedSpec, last = 20): PolicyJobStatus {
  const files = policyFiles(spec.lab.dir);
  const events = existsSync(files.logFile)
    ? readFileSync(files.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .slice(-last)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        })
    : [];
  return { pid: runningPid(files.pidFile, files.lock), mode: spec.lab.policy_job, events };
}

export const policyPhase: LabPhase = {
  async up({ spec, specFile, log }) {
    const files = policyFiles(spec.lab.dir);
    const argv = [
      process.execPath,
      CLI,
      'policy',
      'run',
      '--target',
      'lab',
      '--spec',
      resolve(specFile),
      '--lock',
      files.lock,
      '--interval-s',
      String(spec.policy.sample_period_s),
      ...(spec.lab.policy_job === 'dry-run' ? ['--dry-run'] : []),
    ];
    const pid = await startDaemon({ argv, pidFile: files.pidFile, marker: files.lock, logFile: files.logFile });
    log(`policy job up (PID ${pid}, ${spec.lab.policy_job}, every ${spec.policy.sample_period_s} s), log ${files.logFile}`);
  },
  async down({ spec, log }) {
    const files = policyFiles(spec.lab.dir);
    if (await stopDaemon(files.pidFile, files.lock, 20_000)) log('policy job stopped');
  },
};
