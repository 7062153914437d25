import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/load.js';
import { ansiblePlaybook } from '../../exec/ansible.js';
import { RENDER_TARGETS, type RenderTarget } from '../../render/render-context.js';
import { renderTestbed } from '../../render/render.js';
import { parseTfOutputs } from '../../render/tf-outputs.js';
import { UsageError, type Command } from '../command.js';

/** The cloud stack's post-deploy phases and the site.yml tags each one runs. */
export const PHASE_TAGS: Readonly<Record<string, readonly string[]>> = {
  ceph: ['common', 'ceph'],
  openstack: ['openstack'],
  policy: ['policy'],
};

export const phaseCommand: Command = {
  name: ['phase'],
  summary: 'one post-deploy phase: render the configuration, then run playbooks/site.yml with its tags',
  usage: `testbed phase <${Object.keys(PHASE_TAGS).join('|')}> [--target cloud|lab] [--tf-outputs-env VAR] [--check]`,
  async run({ argv, out, err }) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        spec: { type: 'string' },
        target: { type: 'string', default: 'cloud' },
        'tf-outputs-env': { type: 'string' },
        check: { type: 'boolean', default: false },
      },
    });
    const [phase] = positionals;
    const tags = phase ? PHASE_TAGS[phase] : undefined;
    if (!tags || positionals.length !== 1)
      throw new UsageError(`phase: got ${JSON.stringify(positionals)}; allowed: one of ${Object.keys(PHASE_TAGS).join(', ')}`);
    const target = values.target as RenderTarget;
    if (!RENDER_TARGETS.includes(target))
      throw new UsageError(`--target: unknown target ${JSON.stringify(values.target)}; allowed: ${RENDER_TARGETS.join(', ')}`);

    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    const envName = values['tf-outputs-env'];
    let tfOutputs;
    if (envName) {
      const text = process.env[envName];
      if (!text)
        throw new UsageError(
          `--tf-outputs-env: the environment variable ${envName} is empty; allowed: the name of a variable holding the testbed_inventory output as JSON`,
        );
      tfOutputs = parseTfOutputs(text, `$${envName}`);
    }
    const started = Date.now();
    const rendered = renderTestbed({ spec, target, tfOutputs });
    const changed = rendered.changes.filter((c) => c.change !== 'unchanged').length;
    err(`[phase ${phase}] rendered ${rendered.changes.length} files (${changed} changed) into ${rendered.outDir}`);
    err(`[phase ${phase}] ansible-playbook site.yml --tags ${tags.join(',')}${values.check ? ' --check --diff' : ''}`);
    await ansiblePlaybook({ playbook: 'site.yml', inventory: join(rendered.outDir, 'inventory.yml'), tags, check: values.check, diff: values.check });
    out(`[phase ${phase}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
};
