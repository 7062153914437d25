import { parseArgs } from 'node:util';
import { loadSpec } from '../../config/index.js';
import { POLICY_UNIT, policyJobStatus } from '../../targets/index.js';
import type { Command } from '../command.js';

interface PlanEvent {
  readonly at: number;
  readonly plan: {
    readonly decisions: ReadonlyArray<{ vmId: string; host: string; state: number; reason: string }>;
    readonly actions: ReadonlyArray<{ kind: string; vmId: string; reason: string }>;
  };
}

/** `testbed policy status`: what the lab's policy job (the migration_policy role's service on the controller) sees and decides. */
export const policyStatusCommand: Command = {
  name: ['policy', 'status'],
  summary: "the lab's policy job: running or not, and its last decision with every reason",
  usage: 'testbed policy status [--json] [--spec FILE]',
  async run({ argv, out }) {
    const { values } = parseArgs({ args: [...argv], options: { spec: { type: 'string' }, json: { type: 'boolean' } } });
    const { spec } = loadSpec(values.spec);
    const status = await policyJobStatus(spec, 200);
    const plan = [...status.events].reverse().find((e) => e.type === 'plan') as PlanEvent | undefined;
    const errors = status.events.filter((e) => String(e.type).includes('error') || String(e.type).includes('failed'));
    if (values.json) {
      out(JSON.stringify({ state: status.state, mode: status.mode, plan: plan?.plan ?? null, recentErrors: errors.slice(-5) }, null, 2));
      return;
    }
    out(`policy job: ${status.state} (${status.mode}); journal: journalctl -u ${POLICY_UNIT} in the lab's controller`);
    if (!plan) return void out('no decision yet');
    out(`last decision at ${new Date(plan.at).toISOString()}:`);
    for (const d of plan.plan.decisions) out(`  ${d.vmId.padEnd(20)} ${d.host.padEnd(10)} state ${d.state}  ${d.reason}`);
    for (const a of plan.plan.actions) out(`  -> ${a.kind.toUpperCase()} ${a.vmId}: ${a.reason}`);
    for (const e of errors.slice(-5)) out(`  ! ${JSON.stringify(e)}`);
  },
};
