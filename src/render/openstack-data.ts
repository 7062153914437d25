/**
 * Values nova.conf, cinder.conf, haproxy.cfg and clouds.yaml must agree on: endpoints, the message
 * queue and database URLs, the RBD client. Pure.
 */
import type { PasswordName } from '../secrets/index.js';
import { apiVip, controllers, type RenderContext } from './render-context.js';

export const RABBITMQ_USER = 'openstack';
/** The RBD client libvirt and Cinder use (Ceph's OpenStack guide: one key, in one libvirt secret). */
export const RBD_USER = 'cinder';
/** ceph.conf's path on the OpenStack hosts: /etc/ceph in the cloud and on the lab's container hosts, `<lab.dir>/ceph` in the namespace lab. */
export function cephConfPath(ctx: RenderContext): string {
  return ctx.target === 'lab' && !ctx.labHosts ? `${ctx.labCephDir}/ceph.conf` : '/etc/ceph/ceph.conf';
}
export const KEYSTONE_PORT = 5000;

export function password(ctx: RenderContext, name: PasswordName): string {
  return ctx.secrets.passwords[name];
}

export function keystoneUrl(ctx: RenderContext): string {
  return `http://${apiVip(ctx)}:${KEYSTONE_PORT}/v3`;
}

export function keystonePublicUrl(ctx: RenderContext): string {
  return `http://${apiVip(ctx)}:${KEYSTONE_PORT}/`;
}

export function glanceUrl(ctx: RenderContext): string {
  return `http://${apiVip(ctx)}:9292`;
}

/** RabbitMQ on every controller: oslo.messaging fails over between them. */
export function transportUrl(ctx: RenderContext): string {
  const pw = password(ctx, 'rabbitmq');
  return `rabbit://${controllers(ctx)
    .map((c) => `${RABBITMQ_USER}:${pw}@${c.ip}:5672`)
    .join(',')}/`;
}

/** MariaDB (Galera) through HAProxy on the API VIP. */
export function databaseUrl(ctx: RenderContext, user: string, database: string, pw: PasswordName): string {
  return `mysql+pymysql://${user}:${password(ctx, pw)}@${apiVip(ctx)}/${database}`;
}

export function memcachedServers(ctx: RenderContext): string[] {
  return controllers(ctx).map((c) => `${c.ip}:11211`);
}

/** The pool of Nova's own instance disks (images_rbd_pool): the first pool of the spec. */
export function novaImagesPool(ctx: RenderContext): string {
  return (ctx.target === 'lab' ? ctx.lab.pools : ctx.spec.ceph.pools)[0]!.name;
}
