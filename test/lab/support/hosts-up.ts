/**
 * Brings the host layer up (or down) in its own process, printing progress lines: the interrupt
 * test kills it midway, and it is handy by hand:
 *   npx tsx test/lab/support/hosts-up.ts up|down '<HostLabProps as JSON>'
 * `ceph` also renders the spec for these hosts, writes the site inventory and runs site.yml's Ceph
 * phases on them (as test/lab/ceph-hosts.test.ts does), leaving the hosts up:
 *   npx tsx test/lab/support/hosts-up.ts ceph '<HostLabProps as JSON>' <spec.yaml> <rendered dir>
 */
import { join, resolve } from 'node:path';
import { loadSpec } from '../../../src/config/load.js';
import { ansiblePlaybook } from '../../../src/exec/ansible.js';
import { HostLab, type HostLabProps } from '../../../src/lab/hosts/host-lab.js';
import { labHostsRender, writeSiteInventory } from '../../../src/lab/hosts/site-inventory.js';
import { renderTestbed } from '../../../src/render/render.js';

const [action, json, specFile, renderedArg] = process.argv.slice(2);
const props = JSON.parse(json ?? '{}') as HostLabProps;
const lab = new HostLab({ ...props, log: (line) => console.log(line) });
if (action === 'up' || action === 'ceph') {
  const up = await lab.up();
  console.log(`up: ${up.hosts.map((h) => `${h.host.name}=${h.system.state} boot ${h.bootMs} ms copy ${h.copyMs} ms`).join(', ')}`);
  console.log(`up: rootfs ${up.rootfs.built ? `built in ${up.rootfs.buildMs} ms` : 'cached'}; inventory ${up.inventoryFile}`);
  for (const s of await lab.status()) console.log(`status: ${s.name} ${s.state} pss ${s.pssKib} KiB`);
  if (action === 'ceph') {
    if (!specFile || !renderedArg) {
      console.error('usage: hosts-up.ts ceph JSON SPEC.yaml RENDERED_DIR');
      process.exit(2);
    }
    const renderedDir = resolve(renderedArg);
    renderTestbed({ spec: loadSpec(specFile).spec, target: 'lab', outDir: renderedDir, labHosts: labHostsRender(lab.plan) });
    const file = writeSiteInventory({
      plan: lab.plan,
      renderedDir,
      file: join(lab.hostsDir, 'site-inventory.yml'),
      ssh: { privateKeyFile: up.privateKeyFile, knownHostsFile: up.knownHostsFile },
    });
    const t0 = Date.now();
    await ansiblePlaybook({ playbook: 'site.yml', inventory: file, tags: ['ceph'] });
    console.log(`ceph: site.yml --tags ceph in ${Date.now() - t0} ms; inventory ${file}`);
  }
} else if (action === 'down') {
  await lab.down({ purge: process.argv.includes('--purge') });
} else {
  console.error('usage: hosts-up.ts up|down|ceph JSON [--purge | SPEC.yaml RENDERED_DIR]');
  process.exit(2);
}
