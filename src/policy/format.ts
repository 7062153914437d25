/** Human-readable rendering of a plan, for `testbed policy plan` without --json. */
import type { MigrationPlan, PlanAction } from './interfaces.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

function target(a: PlanAction): string {
  switch (a.kind) {
    case 'weight':
      return `${a.vmId} -> ${a.weight}`;
    case 'migrate':
      return `${a.vmId} ${a.from} -> ${a.to} (~${a.vmnetMiB.toFixed(0)} MiB, ~${a.estimatedS.toFixed(1)} s)`;
    case 'create':
      return `like ${a.likeVmId}`;
    default:
      return a.vmId;
  }
}

export function formatPlan(plan: MigrationPlan): string[] {
  const out = [`mode ${plan.mode}, at ${new Date(plan.now).toISOString()}: ${plan.decisions.length} VM(s), ${plan.actions.length} action(s)`, ''];
  if (plan.decisions.length > 0)
    out.push(...table([['VM', 'HOST', 'STATE', 'REASON'], ...plan.decisions.map((d) => [d.vmId, d.host, String(d.state), d.reason])]), '');
  if (plan.actions.length > 0)
    out.push(...table([['ACTION', 'WHAT', 'REASON'], ...plan.actions.map((a) => [a.kind.toUpperCase(), target(a), a.reason])]), '');
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return out;
}
