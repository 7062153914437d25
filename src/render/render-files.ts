/**
 * The whole output tree of `testbed render`, as data: each file's path (relative to the output
 * folder), content and mode. Pure; `write-tree.ts` puts it on disk.
 */
import { renderCephConf } from '../templates/ceph-conf.js';
import { renderCephKeyring } from '../templates/ceph-keyring.js';
import { renderYamlFile } from '../templates/yaml-file.js';
import { cephConfData, cephKeyrings } from './ceph-data.js';
import { inventoryData } from './inventory-data.js';
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
  return files;
}
