/** `templates/ceph.conf.hbs`: the cluster's bootstrap configuration, for both the cloud and the lab. */
import { compileTemplate, generatedHeader } from './compile.js';
import { applyIniOverrides, cephKey, type IniOverrides } from './ini.js';

export const CEPH_CONF_TEMPLATE = 'ceph.conf.hbs';

export interface CephConfData {
  readonly fsid: string;
  /** Monitor ids (host names), in the order of `monHost`. */
  readonly monInitialMembers: readonly string[];
  /** One entry per monitor: `[v2:IP:3300,v1:IP:6789]`. */
  readonly monHost: readonly string[];
  readonly publicNetwork: string;
  /** Replication network, or null for none (the lab). */
  readonly clusterNetwork: string | null;
  readonly pool: { readonly size: number; readonly minSize: number; readonly pgNum: number };
  /** 0 (failure domain osd) or 1 (host). */
  readonly chooseleafType: 0 | 1;
  /** Raised PG-per-OSD limit, or null to keep Ceph's default. */
  readonly monMaxPgPerOsd: number | null;
  readonly osdMemoryTargetBytes: number;
  /** Filestore settings, or null when no OSD uses Filestore. */
  readonly filestore: { readonly journalSizeMb: number; readonly shortObjectNames: boolean } | null;
  /** Bluestore settings, or null when no OSD uses Bluestore. */
  readonly bluestore: { readonly dbSizeBytes: number | null; readonly walSizeBytes: number | null; readonly blockFileBytes: number | null } | null;
  /**
   * Lab-only health settings, or null for the cloud; `cephDir` puts every Ceph path under it (the
   * namespace lab), null keeps Debian's paths (the lab's container hosts).
   */
  readonly lab: {
    readonly cephDir: string | null;
    /** The lab's pools keep one copy (`lab.pool_size: 1`): a choice, so Ceph's POOL_NO_REDUNDANCY warning is off. */
    readonly singleReplica: boolean;
  } | null;
  /** `ceph.overrides` from the spec, layered last. */
  readonly overrides: IniOverrides;
}

/** Both address forms of a monitor, as `mon_host` wants them. */
export function monAddrs(ip: string): string {
  return `[v2:${ip}:3300,v1:${ip}:6789]`;
}

export function renderCephConf(data: CephConfData): string {
  const text = compileTemplate<CephConfData & { header: string }>(CEPH_CONF_TEMPLATE)({ ...data, header: generatedHeader(`templates/${CEPH_CONF_TEMPLATE}`) });
  return applyIniOverrides(text, data.overrides, { normalizeKey: cephKey });
}
