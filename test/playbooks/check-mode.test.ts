/**
 * `site.yml --check --diff` against the rendered inventory of the default testbed (testbed.yaml):
 * every host runs locally (`ansible_connection=local`), nothing is changed on this machine, and
 * every role, the OpenStack ones included, must get through its dry run without a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec } from '../../src/config/load.js';
import { planTopology } from '../../src/config/topology.js';
import { ansiblePlaybook, parsePlayRecap } from '../../src/exec/ansible.js';
import { execaRunner } from '../../src/exec/runner.js';
import { spawnRunner } from './spawn-runner.js';
import { describeWhere } from '../support/requirements.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const missing = ['ansible-playbook'].filter((t) => spawnSync('which', [t]).status !== 0);
const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot ? 'needs root (check mode reads root-only files)' : missing.length ? `needs ${missing.join(', ')} (scripts/install-system-deps.sh)` : undefined;

/** The TestbedStack's `testbed_inventory` output for the default spec, with made-up volume ids. */
function fakeTfOutputs() {
  const { spec } = loadSpec(path.join(REPO, 'testbed.yaml'));
  const topology = planTopology(spec);
  const volumeId = (n: number, kind: number) => `${kind}${String(n).padStart(7, '0')}-0000-4000-8000-000000000000`;
  return {
    spec,
    outputs: {
      bastion: { host: topology.bastion, floating_ip: '192.0.2.10', ssh_user: spec.cloud.ssh_user },
      hosts: topology.hosts.map((h) => ({
        name: h.name,
        roles: [...h.roles],
        ip: h.ip,
        cluster_ip: h.cluster_ip ?? '',
        osds: h.osds.map((o) => ({ id: o.id, backend: o.backend, volume_id: volumeId(o.id, 1), aux_kind: o.aux.kind, aux_volume_id: volumeId(o.id, 2) })),
      })),
    },
  };
}

describeWhere(skipReason, 'site.yml --check --diff on the default testbed', () => {
  const root = mkdtempSync('/var/tmp/testbed-check-mode-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('runs every phase as a dry run without a failed or unreachable host', async () => {
    // GIVEN the default testbed rendered for the cloud, with Terraform outputs naming the OSD volumes
    const { spec, outputs } = fakeTfOutputs();
    const tfFile = path.join(root, 'tf-outputs.json');
    writeFileSync(tfFile, JSON.stringify(outputs));
    const out = path.join(root, '.testbed', spec.name, 'cloud');
    await execaRunner('node', [path.join(REPO, 'bin/testbed.mjs'), 'render', '--target', 'cloud', '--spec', path.join(REPO, 'testbed.yaml'), '--tf-outputs', tfFile, '--out', out], { cwd: root });
    // WHEN site.yml runs in check mode with every host on this machine
    const { stdout } = await ansiblePlaybook({
      playbook: 'site.yml',
      inventory: path.join(out, 'inventory.yml'),
      check: true,
      diff: true,
      extraVars: { ansible_connection: 'local', ceph_pools_pools: spec.ceph.pools },
      inherit: false,
      runner: spawnRunner,
      timeoutMs: 870_000,
    });
    // THEN every host of the plan ran and none failed
    const recap = parsePlayRecap(stdout);
    expect(Object.keys(recap).sort()).toEqual(planTopology(spec).hosts.map((h) => h.name).sort());
    for (const [host, r] of Object.entries(recap)) expect({ host, failed: r.failed, unreachable: r.unreachable }).toEqual({ host, failed: 0, unreachable: 0 });
    // AND the diff shows the rendered files the roles would lay down
    expect(stdout).toMatch(/TASK \[ceph_mon : Copy the rendered ceph.conf\.\]/);
    expect(stdout).toMatch(/TASK \[nova_compute : Copy the rendered nova.conf of this compute\.\]/);
  }, 900_000);
});
