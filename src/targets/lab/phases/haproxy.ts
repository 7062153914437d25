/**
 * The lab's load balancer: Debian's HAProxy in the controller namespace with the rendered
 * haproxy.cfg (application frontend on the controller's lab address, runtime API socket at admin
 * level). The VMs are added to its `app` backend through the runtime API as they boot.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { planLabTopology } from '../../../config/index.js';
import { execaRunner, ToolFailedError } from '../../../exec/index.js';
import { haproxyFiles, renderLab } from '../context.js';
import { runningPid, startDaemon, stopDaemon } from './daemon.js';
import { LabPhaseError, type LabPhase } from './phase.js';

export const haproxyPhase: LabPhase = {
  async up(ctx) {
    const { dir } = renderLab(ctx);
    const cfg = join(dir, 'haproxy', 'haproxy.cfg');
    const files = haproxyFiles(ctx.spec.lab.dir);
    mkdirSync(files.dir, { recursive: true });
    try {
      await execaRunner('haproxy', ['-c', '-q', '-f', cfg], {});
    } catch (e) {
      throw new LabPhaseError('haproxy', `haproxy -c rejects ${cfg}: ${e instanceof ToolFailedError ? e.shortMessage : String(e)}`);
    }
    const ns = planLabTopology(ctx.spec).controller.netns;
    if (runningPid(files.pidFile, cfg)) {
      ctx.log(`HAProxy already runs (PID ${runningPid(files.pidFile, cfg)})`);
      return;
    }
    // -db: stay in the foreground (so the PID we record is HAProxy's), -W: master-worker for reloads.
    const pid = await startDaemon({
      argv: ['ip', 'netns', 'exec', ns, 'haproxy', '-W', '-db', '-f', cfg],
      pidFile: files.pidFile,
      marker: cfg,
      logFile: files.logFile,
    });
    ctx.log(`HAProxy up in ${ns} (PID ${pid}), runtime API at ${files.socket}`);
  },
  async down(ctx) {
    const { dir } = renderLab(ctx);
    const files = haproxyFiles(ctx.spec.lab.dir);
    if (await stopDaemon(files.pidFile, join(dir, 'haproxy', 'haproxy.cfg'))) ctx.log('HAProxy stopped');
  },
};
