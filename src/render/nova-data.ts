/** nova.conf data for each controller and compute host. Pure. */
import type { NovaConfData, NovaLiveMigration } from '../templates/index.js';
import {
  cephConfPath,
  RBD_USER,
  databaseUrl,
  glanceUrl,
  keystonePublicUrl,
  keystoneUrl,
  memcachedServers,
  novaImagesPool,
  password,
  transportUrl,
} from './openstack-data.js';
import { apiVip, serviceHosts, type RenderContext, type ServiceHost } from './render-context.js';

export function novaLiveMigration(ctx: RenderContext): NovaLiveMigration {
  const lm = ctx.spec.live_migration;
  return {
    downtimeMs: lm.downtime_ms,
    downtimeSteps: lm.downtime_steps,
    downtimeDelayS: lm.downtime_delay_s,
    completionTimeoutS: lm.completion_timeout_s,
    timeoutAction: lm.timeout_action,
    permitPostCopy: lm.permit_post_copy,
    permitAutoConverge: lm.permit_auto_converge,
    bandwidthMib: lm.bandwidth_mib,
    maxConcurrent: lm.max_concurrent,
  };
}

/** kvm for cloud computes (KVM hosts); in the lab, lab.accel, where auto means "kvm if /dev/kvm exists". */
export function virtType(ctx: RenderContext): 'kvm' | 'qemu' {
  if (ctx.target === 'cloud') return 'kvm';
  const accel = ctx.spec.lab.accel;
  return accel === 'kvm' || (accel === 'auto' && ctx.hostHasKvm === true) ? 'kvm' : 'qemu';
}

export function novaConfData(ctx: RenderContext, host: ServiceHost): NovaConfData {
  const isController = host.role === 'controller';
  return {
    hostName: host.name,
    role: host.role,
    myIp: host.ip,
    region: ctx.spec.cloud.region,
    transportUrl: transportUrl(ctx),
    keystone: {
      url: keystoneUrl(ctx),
      publicUrl: keystonePublicUrl(ctx),
      novaPassword: password(ctx, 'nova_service'),
      placementPassword: password(ctx, 'placement_service'),
      neutronPassword: password(ctx, 'neutron_service'),
    },
    glanceUrl: glanceUrl(ctx),
    liveMigration: novaLiveMigration(ctx),
    controller: isController
      ? {
          databaseUrl: databaseUrl(ctx, 'nova', 'nova', 'nova_db'),
          apiDatabaseUrl: databaseUrl(ctx, 'nova', 'nova_api', 'nova_db'),
          memcachedServers: memcachedServers(ctx),
          metadataProxySecret: password(ctx, 'metadata_proxy'),
          // The lab's controller shares two cores with everything else: one process each.
          workers: ctx.target === 'lab' ? 1 : null,
        }
      : null,
    compute: isController
      ? null
      : {
          virtType: virtType(ctx),
          novncproxyBaseUrl: `http://${apiVip(ctx)}:6080/vnc_auto.html`,
          rbd: { pool: novaImagesPool(ctx), cephConf: cephConfPath(ctx), user: RBD_USER, secretUuid: ctx.secrets.rbd_secret_uuid },
        },
    overrides: ctx.spec.overrides.nova,
  };
}

/** nova/<host>.conf for every controller and compute of the target. */
export function novaConfs(ctx: RenderContext): { host: string; data: NovaConfData }[] {
  return serviceHosts(ctx).map((h) => ({ host: h.name, data: novaConfData(ctx, h) }));
}
