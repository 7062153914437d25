/**
 * The per-host files written into a host's rootfs copy before it boots: its address on the bridge
 * (no gateway: it reaches the bridge's subnet and nothing else), hostname, /etc/hosts of every lab
 * host, a fresh machine id, the apt proxy, and the lab's SSH key in root's authorized_keys. Pure
 * renderers plus one writer.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostPlan, PlannedHost } from './host-plan.js';

/** The name of the container's end of its veth (the nspawn convention). */
export const CONTAINER_LINK = 'host0';

/**
 * systemd-networkd file for the container's link. Its name, `10-host0.network`, sorts before the
 * shipped `80-container-host0.network` (a file named `host0.network` would be ignored).
 */
export function networkdFile(host: PlannedHost, plan: HostPlan): string {
  return [
    '[Match]',
    `Name=${CONTAINER_LINK}`,
    '',
    '[Network]',
    `Address=${host.ip}/${plan.prefixLength}`,
    'LinkLocalAddressing=no',
    'IPv6AcceptRA=no',
    '',
  ].join('\n');
}

export function etcHosts(plan: HostPlan): string {
  return ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', ...plan.hosts.map((h) => `${h.ip} ${h.name}`), ''].join('\n');
}

export function aptProxyConf(proxyUrl: string): string {
  return `Acquire::http::Proxy "${proxyUrl}";\n`;
}

export interface HostFilesProps {
  readonly root: string;
  readonly host: PlannedHost;
  readonly plan: HostPlan;
  /** The package cache's URL. */
  readonly aptProxy: string;
  /** The lab's public key line. */
  readonly authorizedKey: string;
}

export function writeHostFiles(p: HostFilesProps): void {
  const at = (rel: string) => join(p.root, rel);
  mkdirSync(at('etc/systemd/network'), { recursive: true });
  writeFileSync(at('etc/systemd/network/10-host0.network'), networkdFile(p.host, p.plan));
  writeFileSync(at('etc/hostname'), `${p.host.name}\n`);
  writeFileSync(at('etc/hosts'), etcHosts(p.plan));
  writeFileSync(at('etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  writeFileSync(at('etc/apt/apt.conf.d/01-testbed-proxy'), aptProxyConf(p.aptProxy));
  mkdirSync(at('root/.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(at('root/.ssh'), 0o700);
  writeFileSync(at('root/.ssh/authorized_keys'), `${p.authorizedKey.trim()}\n`, { mode: 0o600 });
}
