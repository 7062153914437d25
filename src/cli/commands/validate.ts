import { parseArgs } from 'node:util';
import { formatProblem, loadSpec } from '../../config/index.js';
import type { Command } from '../command.js';

export const validateCommand: Command = {
  name: ['validate'],
  summary: 'check testbed.yaml and print every problem at once',
  usage: 'testbed validate [--spec FILE] [--json]',
  async run({ argv, out, err }) {
    const { values } = parseArgs({ args: [...argv], options: { spec: { type: 'string' }, json: { type: 'boolean' } } });
    const { spec, file, warnings } = loadSpec(values.spec);
    for (const w of warnings) err(`warning: ${formatProblem(file, w)}`);
    if (values.json) out(JSON.stringify(spec, null, 2));
    else
      out(
        `${file}: valid (${spec.controllers.count} controllers, ${spec.compute_hosts.length} compute hosts, ${spec.ceph.osd_nodes.length} OSD nodes, pools ${spec.ceph.pools.map((p) => p.name).join(', ')})`,
      );
  },
};
