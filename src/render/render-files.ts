/**
 * The whole output tree of `testbed render`, as data: each file's path (relative to the output
 * folder), content and mode. Pure; `write-tree.ts` puts it on disk.
 */
import {
  renderCephConf,
  renderCephKeyring,
  renderCinderConf,
  renderHaproxyCfg,
  renderLibvirtSecret,
  renderNovaConf,
  renderYamlFile,
} from '../templates/index.js';
import { cephConfData, cephKeyrings } from './ceph-data.js';
import { cinderConfData, cinderConfs } from './cinder-data.js';
import { haproxyCfgData } from './haproxy-data.js';
import { inventoryData } from './inventory-data.js';
import { novaConfs } from './nova-data.js';
import { RBD_USER } from './openstack-data.js';
import { cloudsYamlData, policyJobConfig, servicePasswordsData } from './openstack-clients-data.js';
import type { RenderContext } from './render-context.js';

export interface RenderedFile {
  /** Relative to the output folder, with `/` separators. */
  readonly path: string;
  readonly content: string;
  /** 0o600 for files holding a secret, 0o644 otherwise. */
  readonly mode: number;
}

const PUBLIC = 0o644;
const PRIVATE = 0o600;

export function renderFiles(ctx: RenderContext): RenderedFile[] {
  const files: RenderedFile[] = [
    { path: 'inventory.yml', content: renderYamlFile('src/render/inventory-data.ts', inventoryData(ctx)), mode: PUBLIC },
    { path: 'ceph/ceph.conf', content: renderCephConf(cephConfData(ctx)), mode: PUBLIC },
  ];
  for (const [name, data] of Object.entries(cephKeyrings(ctx))) {
    files.push({ path: `ceph/${name}`, content: renderCephKeyring(data), mode: PRIVATE });
  }
  // nova.conf and cinder.conf hold service passwords; haproxy.cfg the stats password.
  for (const { host, data } of novaConfs(ctx)) files.push({ path: `nova/${host}.conf`, content: renderNovaConf(data), mode: PRIVATE });
  files.push({ path: 'cinder/cinder.conf', content: renderCinderConf(cinderConfData(ctx)), mode: PRIVATE });
  for (const { host, data } of cinderConfs(ctx)) files.push({ path: `cinder/${host}.conf`, content: renderCinderConf(data), mode: PRIVATE });
  files.push({
    path: 'libvirt/secret.xml',
    content: renderLibvirtSecret({ uuid: ctx.secrets.rbd_secret_uuid, usageName: `client.${RBD_USER} secret` }),
    mode: PUBLIC,
  });
  // Base64, no newline: `virsh secret-set-value <uuid> --file secret.key`.
  files.push({ path: 'libvirt/secret.key', content: ctx.secrets.cephx[`client.${RBD_USER}`], mode: PRIVATE });
  files.push({ path: 'haproxy/haproxy.cfg', content: renderHaproxyCfg(haproxyCfgData(ctx)), mode: PRIVATE });
  files.push({
    path: 'openstack/passwords.yml',
    content: renderYamlFile('src/render/openstack-clients-data.ts', servicePasswordsData(ctx)),
    mode: PRIVATE,
  });
  files.push({ path: 'openstack/clouds.yaml', content: renderYamlFile('src/render/openstack-clients-data.ts', cloudsYamlData(ctx)), mode: PRIVATE });
  files.push({ path: 'policy/policy.yaml', content: renderYamlFile('src/render/openstack-clients-data.ts', policyJobConfig(ctx)), mode: PUBLIC });
  return files;
}
