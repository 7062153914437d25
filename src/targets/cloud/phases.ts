/**
 * The cloud's post-deploy phases as `testbed phase <name>` runs them: render the configuration from
 * the spec (and the stack's outputs), then run playbooks/site.yml with the phase's tags. Their
 * names, order, descriptions and tags are in ./registry.ts.
 */
import { join } from 'node:path';
import type { TestbedSpec } from '../../config/index.js';
import { ansiblePlaybook } from '../../exec/index.js';
import { renderTestbed, type RenderTarget, type TfInventory } from '../../render/index.js';

export interface CloudPhaseContext {
  readonly spec: TestbedSpec;
  readonly target: RenderTarget;
  /** The stack's `testbed_inventory` output. @default - the planned addresses only */
  readonly tfOutputs?: TfInventory;
  /** ansible-playbook --check --diff. */
  readonly check: boolean;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

export interface CloudPhase {
  run(ctx: CloudPhaseContext): Promise<void>;
}

/** A phase that runs playbooks/site.yml with `tags`. */
export function sitePlaybookPhase(tags: readonly string[]): CloudPhase {
  return {
    async run({ spec, target, tfOutputs, check, log }) {
      const rendered = renderTestbed({ spec, target, tfOutputs });
      const changed = rendered.changes.filter((c) => c.change !== 'unchanged').length;
      log(`rendered ${rendered.changes.length} files (${changed} changed) into ${rendered.outDir}`);
      log(`ansible-playbook site.yml --tags ${tags.join(',')}${check ? ' --check --diff' : ''}`);
      await ansiblePlaybook({ playbook: 'site.yml', inventory: join(rendered.outDir, 'inventory.yml'), tags, check, diff: check });
    },
  };
}
