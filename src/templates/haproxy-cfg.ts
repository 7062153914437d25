/**
 * `templates/haproxy.cfg.hbs`: the paper's load balancer. OpenStack API frontends (cloud), the
 * application backend whose server weights the policy job changes, stats, and the runtime API socket.
 */
import { compileTemplate, generatedHeader } from './compile.js';

export const HAPROXY_CFG_TEMPLATE = 'haproxy.cfg.hbs';

export interface HaproxyServer {
  readonly name: string;
  /** `ip:port`. */
  readonly address: string;
  /** A standby server (Galera: one writer at a time). */
  readonly backup: boolean;
}

export interface HaproxyApi {
  /** Section name, e.g. `keystone`. */
  readonly name: string;
  /** `ip:port` the frontend listens on. */
  readonly bind: string;
  /** TCP mode (databases) instead of HTTP. */
  readonly tcp: boolean;
  readonly servers: readonly HaproxyServer[];
}

export interface HaproxyAppServer {
  readonly name: string;
  readonly address: string;
  /** 0-256; the policy job switches between w1 and w2. */
  readonly weight: number;
}

export interface HaproxyCfgData {
  /** Drop privileges to this user and group after binding, or null to stay (the lab runs as root). */
  readonly runAs: { readonly user: string; readonly group: string } | null;
  /** Path of the runtime API socket. */
  readonly statsSocket: string;
  readonly statsBind: string;
  readonly statsPassword: string;
  readonly apis: readonly HaproxyApi[];
  /** Backend name the policy job addresses (`set weight <backend>/<server>`). */
  readonly appBackend: string;
  readonly appBind: string;
  /** Servers known at render time; the lab adds its VMs at run time instead. */
  readonly appServers: readonly HaproxyAppServer[];
}

export function renderHaproxyCfg(data: HaproxyCfgData): string {
  return compileTemplate<HaproxyCfgData & { header: string }>(HAPROXY_CFG_TEMPLATE)({ ...data, header: generatedHeader(`templates/${HAPROXY_CFG_TEMPLATE}`) });
}
