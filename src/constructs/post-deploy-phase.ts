import { Construct } from 'constructs';
import { DataResource, type ITerraformDependable } from 'cdktf';

export interface PhaseCommand {
  /** argv of the command; quoted for the shell that local-exec runs it in. */
  readonly argv: readonly string[];
  /**
   * Extra environment (values may be Terraform references, e.g. a jsonencode() of outputs).
   * @default - the caller's environment only
   */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface PostDeployPhaseProps {
  /** What the phase does, for logs ("configure Ceph"). */
  readonly description: string;
  /** Run when the phase is created or its triggers change. */
  readonly create: PhaseCommand;
  /**
   * Run when the phase is destroyed (Terraform gives destroy-time provisioners no references: argv and environment must be literal).
   * @default - nothing to undo
   */
  readonly destroy?: PhaseCommand;
  /** Inputs whose change re-runs the phase (hashes, instance ids). */
  readonly triggers: Readonly<Record<string, string>>;
  /**
   * Resources that must exist first.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Working directory of the commands.
   * @default - the project root (where cdktf.json is)
   */
  readonly workingDir?: string;
}

/** Quotes one argument for POSIX sh (local-exec's interpreter on Linux). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A post-deploy phase: one `terraform_data` resource whose local-exec provisioner runs the project's
 * CLI or playbooks, re-run when its triggers change, with an optional destroy-time undo.
 */
export class PostDeployPhase extends Construct {
  readonly resource: DataResource;

  constructor(scope: Construct, id: string, props: PostDeployPhaseProps) {
    super(scope, id);
    const workingDir = props.workingDir ?? '${path.root}/../../..';
    const provisioners = [
      {
        type: 'local-exec' as const,
        command: props.create.argv.map(shellQuote).join(' '),
        environment: { CHECKPOINT_DISABLE: '1', ...props.create.environment },
        workingDir,
      },
      ...(props.destroy
        ? [
            {
              type: 'local-exec' as const,
              when: 'destroy' as const,
              command: props.destroy.argv.map(shellQuote).join(' '),
              environment: { CHECKPOINT_DISABLE: '1', ...props.destroy.environment },
              workingDir,
            },
          ]
        : []),
    ];
    this.resource = new DataResource(this, 'Resource', {
      input: { phase: props.description },
      triggersReplace: { ...props.triggers },
      dependsOn: props.dependsOn,
      provisioners,
    });
  }
}
