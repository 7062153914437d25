import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import { readTfOutputs, RENDER_TARGETS, renderTestbed, TfOutputsError, type RenderTarget } from '../../render/index.js';
import { SecretsFileError } from '../../secrets/index.js';
import { UsageError, type Command } from '../command.js';

export const renderCommand: Command = {
  name: ['render'],
  summary: 'render every config file (ceph.conf, keyrings, nova.conf, ..., inventory) and list what changed',
  usage: 'testbed render [--spec FILE] [--target cloud|lab] [--mon-host IP] [--tf-outputs FILE] [--out DIR]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        spec: { type: 'string' },
        target: { type: 'string', default: 'cloud' },
        'mon-host': { type: 'string' },
        'tf-outputs': { type: 'string' },
        out: { type: 'string' },
      },
    });
    const target = values.target as RenderTarget;
    if (!RENDER_TARGETS.includes(target))
      throw new UsageError(`--target: unknown target ${JSON.stringify(values.target)}; allowed: ${RENDER_TARGETS.join(', ')}`);
    const monHost = values['mon-host'];
    if (monHost !== undefined && !isIPv4(monHost))
      throw new UsageError(`--mon-host: ${JSON.stringify(monHost)} is not an IPv4 address; allowed: an address such as 127.0.0.1`);
    if (monHost !== undefined && target !== 'lab')
      throw new UsageError("--mon-host: only for --target lab (the cloud's monitors are on the planned controllers)");
    if (values['tf-outputs'] !== undefined && target !== 'cloud')
      throw new UsageError('--tf-outputs: only for --target cloud (the lab has no Terraform outputs)');

    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    let result;
    try {
      const tfOutputs = values['tf-outputs'] === undefined ? undefined : readTfOutputs(values['tf-outputs']);
      result = renderTestbed({ spec, target, outDir: values.out, monHost, tfOutputs });
    } catch (e) {
      // Bad input files are user errors: message only, no stack trace, exit code 2 (like SpecError).
      if (e instanceof TfOutputsError || e instanceof SecretsFileError) {
        err(e.message);
        return 2;
      }
      throw e;
    }
    if (result.secretsWritten) err(`secrets: wrote ${result.secretsFile} (mode 0600; keep it, the deployed testbed uses these keys)`);
    const changed = result.changes.filter((c) => c.change !== 'unchanged');
    for (const c of changed) out(`${c.change.padEnd(7)} ${c.path}`);
    out(`${result.outDir}: ${changed.length} of ${result.changes.length} files changed`);
  },
};
