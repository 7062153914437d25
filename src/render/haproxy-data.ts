/** haproxy.cfg data: API frontends on the VIP (cloud), the app backend, stats and the runtime socket. Pure. */
import { HAPROXY_PORTS, hostsWithRole, OPENSTACK_API_PORTS } from '../config/index.js';
import type { HaproxyApi, HaproxyCfgData } from '../templates/index.js';
import { password } from './openstack-data.js';
import { apiVip, controllers, hostIp, type RenderContext } from './render-context.js';

/** The backend the policy job drives (`set weight app/<vm> <w>`). */
export const APP_BACKEND = 'app';
/** The namespace lab, which starts HAProxy itself; the lab's container hosts run Debian's, as a cloud host does. */
const namespaceLab = (ctx: RenderContext) => ctx.target === 'lab' && !ctx.labHosts;

/** Runtime API socket (Debian's path; the namespace lab: under <lab.dir>). */
export function haproxySocket(ctx: RenderContext): string {
  return namespaceLab(ctx) ? `${ctx.spec.lab.dir.replace(/\/+$/, '')}/haproxy/admin.sock` : '/run/haproxy/admin.sock';
}

const port = (name: string) => HAPROXY_PORTS.find((p) => p.name === name)!.from;

export function haproxyCfgData(ctx: RenderContext): HaproxyCfgData {
  const vip = apiVip(ctx);
  const ctrls = controllers(ctx);
  const apis: HaproxyApi[] =
    ctx.target === 'lab'
      ? [] // the lab's OpenStack APIs answer on its controller directly
      : [
          ...OPENSTACK_API_PORTS.map((p) => ({
            name: p.name,
            bind: `${vip}:${p.from}`,
            tcp: false,
            servers: ctrls.map((c) => ({ name: c.name, address: `${c.ip}:${p.from}`, backup: false })),
          })),
          // Galera: one writer at a time, the others on standby.
          {
            name: 'mariadb',
            bind: `${vip}:3306`,
            tcp: true,
            servers: ctrls.map((c, i) => ({ name: c.name, address: `${c.ip}:3306`, backup: i > 0 })),
          },
        ];
  // The app and stats frontends are on the haproxy host's own address (where the floating IP points).
  const lbIp = ctx.target === 'lab' ? vip : hostIp(ctx, hostsWithRole(ctx.topology, 'haproxy')[0]!);
  return {
    runAs: namespaceLab(ctx) ? null : { user: 'haproxy', group: 'haproxy' },
    statsSocket: haproxySocket(ctx),
    statsBind: `${lbIp}:${port('haproxy-stats')}`,
    statsPassword: password(ctx, 'haproxy_stats'),
    apis,
    appBackend: APP_BACKEND,
    appBind: `${lbIp}:${port('app-http')}`,
    appServers: [],
  };
}
