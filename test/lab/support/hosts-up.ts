/**
 * Brings the host layer up (or down) in its own process, printing progress lines: the interrupt
 * test kills it midway, and it is handy by hand:
 *   npx tsx test/lab/support/hosts-up.ts up|down '<HostLabProps as JSON>'
 */
import { HostLab, type HostLabProps } from '../../../src/lab/hosts/host-lab.js';

const [action, json] = process.argv.slice(2);
const props = JSON.parse(json ?? '{}') as HostLabProps;
const lab = new HostLab({ ...props, log: (line) => console.log(line) });
if (action === 'up') {
  const up = await lab.up();
  console.log(`up: ${up.hosts.map((h) => `${h.host.name}=${h.system.state} boot ${h.bootMs} ms copy ${h.copyMs} ms`).join(', ')}`);
  console.log(`up: rootfs ${up.rootfs.built ? `built in ${up.rootfs.buildMs} ms` : 'cached'}; inventory ${up.inventoryFile}`);
  for (const s of await lab.status()) console.log(`status: ${s.name} ${s.state} pss ${s.pssKib} KiB`);
} else if (action === 'down') {
  await lab.down({ purge: process.argv.includes('--purge') });
} else {
  console.error('usage: hosts-up.ts up|down JSON [--purge]');
  process.exit(2);
}
