import { type Construct } from 'constructs';
import { LocalBackend, TerraformStack } from 'cdktf';
import { PostDeployPhase } from '../src/constructs/index.js';
import { LAB_PHASES } from '../src/targets/index.js';

export interface LabStackProps {
  /** sha256 of the spec: every phase re-runs when it changes. */
  readonly specHash: string;
  /** sha256 of what each phase runs (templates, playbooks, the lab's sources), by phase name. */
  readonly phaseHashes: Readonly<Record<string, string>>;
  /**
   * The spec file the phases read (passed to each `testbed lab` call).
   * @default 'testbed.yaml'
   */
  readonly specFile?: string;
  /**
   * Terraform state file, relative to the stack's working directory.
   * @default '../../../terraform.<id>.tfstate'
   */
  readonly statePath?: string;
}

/**
 * The one-machine lab: only Terraform's built-in `terraform_data` resources with local-exec
 * provisioners, so `cdktf deploy lab` runs offline with no provider download. The work itself is
 * the project's CLI and playbooks; this stack only orders it and undoes it. The phases are LAB_PHASES
 * (src/targets/lab/registry.ts): each is one `terraform_data` resource that runs `testbed lab <phase> up`
 * and, on destroy, `testbed lab <phase> down` (destroy runs them in reverse order).
 */
export class LabStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id);
    new LocalBackend(this, { path: props.statePath ?? `../../../terraform.${id}.tfstate` });
    const spec = ['--spec', props.specFile ?? 'testbed.yaml'];
    let previous: PostDeployPhase | undefined;
    for (const phase of LAB_PHASES) {
      previous = new PostDeployPhase(this, phase.id, {
        description: phase.description,
        create: { argv: ['node', 'bin/testbed.mjs', 'lab', phase.name, 'up', ...spec] },
        destroy: { argv: ['node', 'bin/testbed.mjs', 'lab', phase.name, 'down', ...spec] },
        // A phase after a replaced one is replaced too (its predecessor's id changes), so that, say,
        // new namespaces get a new Ceph inside them.
        triggers: { spec: props.specHash, code: props.phaseHashes[phase.name] ?? props.specHash, after: previous?.resource.id ?? 'first' },
        dependsOn: previous ? [previous.resource] : undefined,
      });
    }
  }
}
