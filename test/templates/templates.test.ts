import { cephConfData, cephKeyrings } from '../../src/render/ceph-data.js';
import { cinderConfData } from '../../src/render/cinder-data.js';
import { haproxyCfgData } from '../../src/render/haproxy-data.js';
import { novaConfs } from '../../src/render/nova-data.js';
import { renderContext } from '../../src/render/render-context.js';
import { renderCephConf } from '../../src/templates/ceph-conf.js';
import { renderCephKeyring } from '../../src/templates/ceph-keyring.js';
import { renderCinderConf } from '../../src/templates/cinder-conf.js';
import { renderHaproxyCfg } from '../../src/templates/haproxy-cfg.js';
import { renderLibvirtSecret } from '../../src/templates/libvirt-secret.js';
import { renderNovaConf } from '../../src/templates/nova-conf.js';
import { fixedSecrets, OUT_DIR, specOf } from '../render/fixtures.js';

const ctx = renderContext({ spec: specOf(), target: 'cloud', secrets: fixedSecrets(), outDir: OUT_DIR });
const compute = novaConfs(ctx).find((n) => n.data.role === 'compute')!.data;

/** Each template with real data, and a field its text uses: dropping that field must fail, naming both. */
const cases: { template: string; render: (d: never) => string; data: object; drop: string[]; field: string }[] = [
  { template: 'ceph.conf.hbs', render: renderCephConf, data: cephConfData(ctx), drop: ['publicNetwork'], field: 'publicNetwork' },
  { template: 'ceph.keyring.hbs', render: renderCephKeyring, data: cephKeyrings(ctx)['ceph.client.admin.keyring']!, drop: ['entities', '0', 'key'], field: 'key' },
  { template: 'nova.conf.hbs', render: renderNovaConf, data: compute, drop: ['compute', 'rbd', 'secretUuid'], field: 'secretUuid' },
  { template: 'nova.conf.hbs', render: renderNovaConf, data: compute, drop: ['liveMigration', 'downtimeMs'], field: 'downtimeMs' },
  { template: 'cinder.conf.hbs', render: renderCinderConf, data: cinderConfData(ctx), drop: ['backends', '1', 'pool'], field: 'pool' },
  { template: 'haproxy.cfg.hbs', render: renderHaproxyCfg, data: haproxyCfgData(ctx), drop: ['statsSocket'], field: 'statsSocket' },
  { template: 'libvirt-secret.xml.hbs', render: renderLibvirtSecret, data: { uuid: 'u', usageName: 'n' }, drop: ['usageName'], field: 'usageName' },
];

function without(data: object, path: string[]): object {
  const copy = structuredClone(data) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path[path.length - 1]!];
  return copy;
}

describe('every template', () => {
  it.each(cases)('renders $template from its data builder', ({ render, data }) => {
    expect(render(data as never).length).toBeGreaterThan(100);
  });

  it.each(cases)('fails naming $template and the missing field $field', ({ template, render, data, drop, field }) => {
    // GIVEN the builder's data without one field the template uses
    // WHEN rendered
    // THEN the error names the template file and the field
    expect(() => render(without(data, drop) as never)).toThrow(new RegExp(`templates/${template.replace(/\./g, '\\.')}:\\d+:\\d+: missing field "${field}"`));
  });

  it('starts every rendered file with the generated-file header naming its template', () => {
    for (const { template, render, data } of cases) expect(render(data as never)).toContain(`Generated from templates/${template} by \`testbed render\`; do not edit.`);
  });
});
