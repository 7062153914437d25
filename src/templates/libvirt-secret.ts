/**
 * `templates/libvirt-secret.xml.hbs`: the libvirt secret that holds the RBD client's cephx key
 * (`virsh secret-define secret.xml`, then `virsh secret-set-value --file secret.key`). The key is not in the XML.
 */
import { compileTemplate, generatedHeader } from './compile.js';

export const LIBVIRT_SECRET_TEMPLATE = 'libvirt-secret.xml.hbs';

export interface LibvirtSecretData {
  /** rbd_secret_uuid of nova.conf and cinder.conf. */
  readonly uuid: string;
  /** e.g. `client.cinder secret`. */
  readonly usageName: string;
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderLibvirtSecret(data: LibvirtSecretData): string {
  const header = generatedHeader(`templates/${LIBVIRT_SECRET_TEMPLATE}`, '').split('\n').map((l) => `<!--${l.replace(/--/g, '- -')} -->`).join('\n');
  // Escape the fields that are there; a missing one reaches the strict template, which names it.
  const escaped = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? xmlText(v) : v])) as unknown as LibvirtSecretData;
  return compileTemplate<LibvirtSecretData & { header: string }>(LIBVIRT_SECRET_TEMPLATE)({ ...escaped, header });
}
