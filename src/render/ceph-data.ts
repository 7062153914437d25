/**
 * ceph.conf and keyring data for both targets. Pure.
 *
 * - cloud: 3 mons on their hosts' testbed addresses, public + cluster networks, the spec's pool
 *   defaults, Filestore/Bluestore sizes, and a raised `mon_max_pg_per_osd` when the pools need it;
 * - lab: 1 mon (`controller`) on the lab controller's address or --mon-host, failure domain osd,
 *   every path under `<lab.dir>/ceph`, and the settings /work/shared/docs/lab-ceph.md found necessary;
 *   for the lab's container hosts (`labHosts`), the monitor on the planned host and Debian's paths.
 */
import { CEPH_MON_MAX_PG_PER_OSD, hostsWithRole, osdCount, parseCidr, type BACKENDS, type TestbedSpec } from '../config/index.js';
import { monAddrs, type CephConfData, type CephKeyringData, type CephKeyringEntity } from '../templates/index.js';
import type { CephxEntity } from '../secrets/index.js';
import { hostIp, type RenderContext } from './render-context.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** The lab's Bluestore cache budget: the least that Ceph honours, rounded up (lab-ceph.md pitfall 3). */
export const LAB_OSD_MEMORY_TARGET_BYTES = GIB;

/**
 * The `mon_max_pg_per_osd` the spec's pools need, or null when Ceph's default (250) is enough.
 * Pools on one backend share its OSDs (device-class rules), so their PG replicas add up; one more
 * PG per OSD is kept for the `.mgr` pool, and the result is rounded up to a multiple of 50.
 */
export function monMaxPgPerOsd(
  pools: readonly { backend: string; pg_num: number; size: number }[],
  osdsPerBackend: (backend: string) => number,
): number | null {
  let worst = 0;
  for (const backend of new Set(pools.map((p) => p.backend))) {
    const osds = osdsPerBackend(backend);
    if (osds === 0) continue;
    const replicas = pools.filter((p) => p.backend === backend).reduce((sum, p) => sum + p.pg_num * p.size, 0);
    worst = Math.max(worst, Math.ceil(replicas / osds) + 1);
  }
  return worst > CEPH_MON_MAX_PG_PER_OSD ? Math.ceil(worst / 50) * 50 : null;
}

function inCidr(ip: string, cidr: string): boolean {
  const { base, bits } = parseCidr(cidr);
  const { base: addr } = parseCidr(`${ip}/32`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (addr & mask) >>> 0 === (base & mask) >>> 0;
}

function hasBackend(spec: TestbedSpec, backend: 'filestore' | 'bluestore'): boolean {
  return osdCount(spec, backend) > 0;
}

export function cephConfData(ctx: RenderContext): CephConfData {
  const { spec } = ctx;
  if (ctx.target === 'lab') {
    const hosts = ctx.labHosts;
    const monIp = hosts?.mon.ip ?? ctx.monHost ?? ctx.lab.controller.ip;
    const pool = ctx.lab.pools[0]!;
    return {
      fsid: ctx.fsid,
      monInitialMembers: [hosts?.mon.name ?? ctx.lab.controller.name],
      monHost: [monAddrs(monIp)],
      // With --mon-host outside the lab range (127.0.0.1 for the roles' test), every daemon binds there.
      publicNetwork: hosts ? hosts.cidr : inCidr(monIp, spec.lab.cidr) ? spec.lab.cidr : `${monIp}/32`,
      clusterNetwork: null,
      pool: { size: spec.lab.pool_size, minSize: pool.min_size, pgNum: spec.lab.pool_pg_num },
      chooseleafType: 0,
      monMaxPgPerOsd: monMaxPgPerOsd(ctx.lab.pools, (b) => ctx.lab.osds.filter((o) => o.backend === b).length),
      osdMemoryTargetBytes: LAB_OSD_MEMORY_TARGET_BYTES,
      filestore: { journalSizeMb: spec.lab.filestore_journal_mib, shortObjectNames: true },
      bluestore: { dbSizeBytes: null, walSizeBytes: null, blockFileBytes: spec.lab.bluestore_file_gib * GIB },
      // Container hosts: Debian's paths (/etc/ceph, /var/lib/ceph, /run/ceph, /var/log/ceph).
      lab: { cephDir: hosts ? null : ctx.labCephDir, singleReplica: spec.lab.pool_size === 1 },
      overrides: spec.ceph.overrides,
    };
  }
  const mons = hostsWithRole(ctx.topology, 'ceph_mon');
  const pool = spec.ceph.pools[0]!;
  return {
    fsid: ctx.fsid,
    monInitialMembers: mons.map((h) => h.name),
    monHost: mons.map((h) => monAddrs(hostIp(ctx, h))),
    publicNetwork: spec.network.cidr,
    clusterNetwork: spec.network.cluster_cidr,
    pool: { size: pool.size, minSize: pool.min_size, pgNum: pool.pg_num },
    chooseleafType: spec.ceph.failure_domain === 'host' ? 1 : 0,
    monMaxPgPerOsd: monMaxPgPerOsd(spec.ceph.pools, (b) => osdCount(spec, b as (typeof BACKENDS)[number])),
    osdMemoryTargetBytes: spec.ceph.osd_memory_target_mib * MIB,
    filestore: hasBackend(spec, 'filestore')
      ? { journalSizeMb: spec.ceph.filestore.journal_size_gb * 1024, shortObjectNames: spec.ceph.filestore.filesystem === 'ext4' }
      : null,
    bluestore: hasBackend(spec, 'bluestore')
      ? { dbSizeBytes: spec.ceph.bluestore.db_size_gb * GIB, walSizeBytes: spec.ceph.bluestore.wal_size_gb * GIB, blockFileBytes: null }
      : null,
    lab: null,
    overrides: spec.ceph.overrides,
  };
}

/** The RBD clients' pools: every pool of the target (Nova, Cinder and Glance use both backends). */
function rbdPools(ctx: RenderContext): string[] {
  return (ctx.target === 'lab' ? ctx.lab.pools : ctx.spec.ceph.pools).map((p) => p.name);
}

function rbdCaps(pools: readonly string[]): CephKeyringEntity['caps'] {
  return [
    { daemon: 'mgr', caps: pools.map((p) => `profile rbd pool=${p}`).join(', ') },
    { daemon: 'mon', caps: 'profile rbd' },
    { daemon: 'osd', caps: pools.map((p) => `profile rbd pool=${p}`).join(', ') },
  ];
}

const ADMIN_CAPS: CephKeyringEntity['caps'] = [
  { daemon: 'mds', caps: 'allow *' },
  { daemon: 'mgr', caps: 'allow *' },
  { daemon: 'mon', caps: 'allow *' },
  { daemon: 'osd', caps: 'allow *' },
];

/** Keyring files under `ceph/`, by file name, each with its entities. */
export function cephKeyrings(ctx: RenderContext): Record<string, CephKeyringData> {
  const key = (e: CephxEntity) => ctx.secrets.cephx[e];
  const admin: CephKeyringEntity = { name: 'client.admin', key: key('client.admin'), caps: ADMIN_CAPS };
  const pools = rbdPools(ctx);
  const client = (name: 'nova' | 'cinder' | 'glance'): CephKeyringData => ({
    entities: [{ name: `client.${name}`, key: key(`client.${name}`), caps: rbdCaps(pools) }],
  });
  return {
    'ceph.client.admin.keyring': { entities: [admin] },
    'ceph.mon.keyring': { entities: [{ name: 'mon.', key: key('mon.'), caps: [{ daemon: 'mon', caps: 'allow *' }] }, admin] },
    'ceph.client.bootstrap-osd.keyring': {
      entities: [{ name: 'client.bootstrap-osd', key: key('client.bootstrap-osd'), caps: [{ daemon: 'mon', caps: 'profile bootstrap-osd' }] }],
    },
    'ceph.client.nova.keyring': client('nova'),
    'ceph.client.cinder.keyring': client('cinder'),
    'ceph.client.glance.keyring': client('glance'),
  };
}
