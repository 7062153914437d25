/** A human summary of a synthesized stack (cdk.tf.json): what `cdktf deploy` would create. Pure. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly locals?: Record<string, unknown>;
}

interface InventoryHost {
  readonly name: string;
  readonly roles: readonly string[];
  readonly ip: string;
  readonly osds: ReadonlyArray<{ readonly backend: string }>;
}

const LABELS: Record<string, string> = {
  openstack_compute_instance_v2: 'instances',
  openstack_blockstorage_volume_v3: 'volumes',
  openstack_compute_volume_attach_v2: 'volume attachments',
  openstack_networking_port_v2: 'ports (fixed IPs)',
  openstack_networking_secgroup_v2: 'security groups',
  openstack_networking_secgroup_rule_v2: 'security group rules',
  openstack_compute_flavor_v2: 'flavors',
  openstack_compute_servergroup_v2: 'server groups',
  terraform_data: 'post-deploy phases',
};

export function summarizeSynth(stackName: string, synth: SynthesizedStack): string[] {
  const resources = synth.resource ?? {};
  const total = Object.values(resources).reduce((n, r) => n + Object.keys(r).length, 0);
  const lines = [`stack ${stackName}: ${total} resources`];
  for (const [type, instances] of Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${String(Object.keys(instances).length).padStart(4)}  ${type}${LABELS[type] ? ` (${LABELS[type]})` : ''}`);
  }
  const inventory = synth.locals?.inventory as { hosts?: InventoryHost[] } | undefined;
  if (inventory?.hosts) {
    lines.push('', 'hosts:');
    for (const h of inventory.hosts) {
      const osds = h.osds.length
        ? `  OSDs: ${['filestore', 'bluestore'].map((b) => `${h.osds.filter((o) => o.backend === b).length} ${b}`).join(', ')}`
        : '';
      lines.push(`  ${h.name.padEnd(14)} ${h.ip.padEnd(15)} ${h.roles.join(', ')}${osds}`);
    }
  }
  const phases = Object.values(resources.terraform_data ?? {}).map((p) => (p as { input?: { phase?: string } }).input?.phase);
  if (phases.length) lines.push('', 'after the instances, in order:', ...phases.map((p, i) => `  ${i + 1}. ${p}`));
  else if (inventory?.hosts) lines.push('', 'no post-deploy phases (cloud.deploy: infrastructure): configure the nodes later with `testbed phase`');
  return lines;
}
