/** `templates/ceph.keyring.hbs`: a Ceph keyring (one or more entities with their key and caps). Mode 0600. */
import { compileTemplate, generatedHeader } from './compile.js';

export const CEPH_KEYRING_TEMPLATE = 'ceph.keyring.hbs';

export interface CephKeyringEntity {
  /** `mon.`, `client.admin`, ... */
  readonly name: string;
  readonly key: string;
  /** Capabilities per daemon type, e.g. `{ daemon: 'mon', caps: 'profile rbd' }`. */
  readonly caps: readonly { readonly daemon: 'mon' | 'mgr' | 'osd' | 'mds'; readonly caps: string }[];
}

export interface CephKeyringData {
  readonly entities: readonly CephKeyringEntity[];
}

export function renderCephKeyring(data: CephKeyringData): string {
  return compileTemplate<CephKeyringData & { header: string }>(CEPH_KEYRING_TEMPLATE)({ ...data, header: generatedHeader(`templates/${CEPH_KEYRING_TEMPLATE}`) });
}
