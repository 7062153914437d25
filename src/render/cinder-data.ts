/** cinder.conf data: one RBD backend (and volume type) per Ceph pool. Pure. */
import type { CinderBackend, CinderConfData } from '../templates/index.js';
import {
  RBD_USER,
  cephConfPath,
  databaseUrl,
  glanceUrl,
  keystonePublicUrl,
  keystoneUrl,
  memcachedServers,
  password,
  transportUrl,
} from './openstack-data.js';
import { controllers, type RenderContext, type ServiceHost } from './render-context.js';

/** A Cinder volume type and what it selects; the playbooks create them (`openstack volume type create`). */
export interface VolumeType {
  readonly name: string;
  readonly volume_backend_name: string;
  readonly pool: string;
  readonly backend: 'filestore' | 'bluestore';
}

/** Prefix of the backend sections' names (they are deployment-specific, so the validator skips them). */
export const CINDER_BACKEND_PREFIX = 'rbd-';

export function volumeTypes(ctx: RenderContext): VolumeType[] {
  const pools = ctx.target === 'lab' ? ctx.lab.pools : ctx.spec.ceph.pools;
  return pools.map((p) => ({ name: p.name, volume_backend_name: p.name, pool: p.name, backend: p.backend }));
}

export function cinderBackends(ctx: RenderContext): CinderBackend[] {
  return volumeTypes(ctx).map((t) => ({
    section: `${CINDER_BACKEND_PREFIX}${t.pool}`,
    backendName: t.volume_backend_name,
    pool: t.pool,
    cephConf: cephConfPath(ctx),
    user: RBD_USER,
    secretUuid: ctx.secrets.rbd_secret_uuid,
  }));
}

/** cinder.conf data for one controller (its own address is the only per-host value). */
export function cinderConfData(ctx: RenderContext, host: ServiceHost = controllers(ctx)[0]!): CinderConfData {
  const backends = cinderBackends(ctx);
  return {
    myIp: host.ip,
    transportUrl: transportUrl(ctx),
    glanceUrl: glanceUrl(ctx),
    databaseUrl: databaseUrl(ctx, 'cinder', 'cinder', 'cinder_db'),
    memcachedServers: memcachedServers(ctx),
    keystone: { url: keystoneUrl(ctx), publicUrl: keystonePublicUrl(ctx), cinderPassword: password(ctx, 'cinder_service') },
    enabledBackends: backends.map((b) => b.section),
    defaultVolumeType: volumeTypes(ctx)[0]!.name,
    backends,
    overrides: ctx.spec.overrides.cinder,
  };
}

/**
 * `cinder/<host>.conf` for each controller (Cinder's API listens on the host's own address, since HAProxy
 * holds the VIP), and `cinder/cinder.conf`, the first controller's, which the render contract names.
 */
export function cinderConfs(ctx: RenderContext): { host: string; data: CinderConfData }[] {
  return controllers(ctx).map((h) => ({ host: h.name, data: cinderConfData(ctx, h) }));
}
