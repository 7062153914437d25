import { Construct } from 'constructs';
import type { NodeKind } from '../config/index.js';
import { ComputeFlavorV2 } from './bindings.js';

export interface NodeSize {
  readonly vcpus: number;
  /** RAM in MiB, Nova's unit. */
  readonly ramMib: number;
  readonly diskGb: number;
}

export interface NodeFlavorsProps {
  readonly namePrefix: string;
  readonly sizes: Readonly<Record<NodeKind, NodeSize>>;
  /**
   * Create the flavors (needs the admin role); otherwise they must exist under the same names.
   * @default true
   */
  readonly create?: boolean;
}

/** The underlying cloud's flavors for the testbed's controllers, computes and Ceph nodes. */
export class NodeFlavors extends Construct {
  private readonly names: Record<NodeKind, string>;

  constructor(scope: Construct, id: string, props: NodeFlavorsProps) {
    super(scope, id);
    const create = props.create ?? true;
    const kinds: NodeKind[] = ['controller', 'compute', 'ceph'];
    this.names = Object.fromEntries(kinds.map((kind) => [kind, `${props.namePrefix}-${kind}`])) as Record<NodeKind, string>;
    if (!create) return;
    for (const kind of kinds) {
      const size = props.sizes[kind];
      const flavor = new ComputeFlavorV2(this, kind, {
        name: this.names[kind],
        vcpus: size.vcpus,
        ram: size.ramMib,
        disk: size.diskGb,
        isPublic: false,
      });
      this.names[kind] = flavor.name;
    }
  }

  /** The flavor name to boot a node of this kind with (a reference when the flavor is created here). */
  nameFor(kind: NodeKind): string {
    return this.names[kind];
  }
}
