import { Testing } from 'cdktf';
import { LabStack } from '../../stacks/lab-stack.js';
import { LAB_PHASES } from '../../src/targets/index.js';

describe('the lab stack', () => {
  const stack = new LabStack(Testing.app(), 'lab', { specHash: 'spec', phaseHashes: { ceph: 'ceph-code' }, specFile: 'lab.yaml' });
  const s = JSON.parse(Testing.synth(stack));
  // Synthesized JSON sorts keys: put the phases back in their construct order.
  const order = (entry: [string, any]) => LAB_PHASES.findIndex((p) => entry[0] === p.id || entry[0].startsWith(`${p.id}_`));
  const phases = Object.entries(s.resource.terraform_data as Record<string, any>).sort((a, b) => order(a) - order(b));

  it('uses only terraform_data, so it deploys offline with no provider', () => {
    expect(Object.keys(s.resource)).toEqual(['terraform_data']);
    expect(s.provider).toBeUndefined();
    expect(s.terraform.required_providers).toBeUndefined();
  });

  it('runs each phase up on create and down on destroy, through the CLI', () => {
    expect(phases).toHaveLength(LAB_PHASES.length);
    for (const [[, body], phase] of phases.map((p, i) => [p, LAB_PHASES[i]!] as const)) {
      const [up, down] = body.provisioner.map((p: any) => p['local-exec']);
      expect(up.command).toBe(`node bin/testbed.mjs lab ${phase.name} up --spec lab.yaml`);
      expect(down.command).toBe(`node bin/testbed.mjs lab ${phase.name} down --spec lab.yaml`);
      expect(down.when).toBe('destroy');
    }
  });

  it('orders the phases and replaces every later phase when an earlier one is replaced', () => {
    for (let i = 1; i < phases.length; i++) {
      const [prevName] = phases[i - 1]!;
      const [, body] = phases[i]!;
      expect(body.depends_on).toEqual([`terraform_data.${prevName}`]);
      expect(body.triggers_replace.after).toBe(`\${terraform_data.${prevName}.id}`);
    }
  });

  it('re-runs a phase when its code or the spec changes', () => {
    const ceph = phases.find(([name]) => name.startsWith('Ceph'))![1];
    expect(ceph.triggers_replace).toMatchObject({ spec: 'spec', code: 'ceph-code' });
  });
});
