import { Construct } from 'constructs';
import type { PlannedOsd } from '../config/index.js';
import { BlockstorageVolumeV3, ComputeVolumeAttachV2 } from './bindings.js';

export interface OsdVolumesProps {
  readonly namePrefix: string;
  readonly hostName: string;
  readonly instanceId: string;
  readonly osds: readonly PlannedOsd[];
  /**
   * @default - the cloud's default zone
   */
  readonly availabilityZone?: string;
}

export interface AttachedOsd {
  readonly id: number;
  readonly backend: PlannedOsd['backend'];
  readonly volumeId: string;
  readonly auxKind: PlannedOsd['aux']['kind'];
  readonly auxVolumeId: string;
}

/**
 * One volume per OSD, plus its journal (Filestore) or DB (Bluestore) volume, attached to the node.
 * The playbooks find them as /dev/disk/by-id/virtio-<first 20 characters of the volume id>.
 */
export class OsdVolumes extends Construct {
  readonly osds: readonly AttachedOsd[];
  /** The attachments: what must exist before the OSDs can be prepared. */
  readonly attachments: readonly ComputeVolumeAttachV2[];

  constructor(scope: Construct, id: string, props: OsdVolumesProps) {
    super(scope, id);
    const attachments: ComputeVolumeAttachV2[] = [];
    this.attachments = attachments;
    this.osds = props.osds.map((osd) => {
      const volume = (suffix: string, size: number) => {
        const v = new BlockstorageVolumeV3(this, `Osd${osd.id}${suffix}`, {
          name: `${props.namePrefix}-osd${osd.id}-${suffix.toLowerCase()}`,
          size,
          availabilityZone: props.availabilityZone,
          description: `${props.namePrefix}: ${osd.backend} OSD ${osd.id} ${suffix.toLowerCase()} on ${props.hostName}`,
        });
        attachments.push(new ComputeVolumeAttachV2(this, `Osd${osd.id}${suffix}Attach`, { instanceId: props.instanceId, volumeId: v.id }));
        return v.id;
      };
      return {
        id: osd.id,
        backend: osd.backend,
        volumeId: volume('Data', osd.size_gb),
        auxKind: osd.aux.kind,
        auxVolumeId: volume(osd.aux.kind === 'journal' ? 'Journal' : 'Db', osd.aux.size_gb),
      };
    });
  }
}
