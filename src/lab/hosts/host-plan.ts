/**
 * The container hosts' address plan: which hosts exist, their addresses on the lab bridge and the
 * names of their host-side links. Pure: no I/O.
 *
 * - The bridge holds `.1` (the package cache binds there; it is the only thing the hosts can reach).
 * - Controllers get `.10`, `.11`, `.12`; computes `.20`, `.21`, ... So a second or third controller
 *   never moves a compute's address.
 * - One controller is named `controller`; three are `controller-1` .. `controller-3`.
 */
import { parseCidr } from '../../config/index.js';

export type HostRole = 'controller' | 'compute';

export interface HostPlanProps {
  /**
   * Private IPv4 range of the bridge; exists only on the bridge and in the containers.
   * @default '10.213.78.0/24'
   */
  readonly cidr?: string;
  /**
   * Bridge name in the root namespace (at most 15 characters).
   * @default 'tbhbr0'
   */
  readonly bridge?: string;
  /**
   * Prefix of every host-side link name (`<prefix>-<host>`, at most 15 characters in all), so two
   * labs with different prefixes never share a link name.
   * @default 'tbh'
   */
  readonly prefix?: string;
  /**
   * Number of controller hosts: 1 or 3.
   * @default 1
   */
  readonly controllers?: number;
  /**
   * Number of compute hosts (1 to 9).
   * @default 2
   */
  readonly computes?: number;
}

export interface PlannedHost {
  /** Host name (also the container's hostname and its Ansible inventory name). */
  readonly name: string;
  readonly role: HostRole;
  readonly ip: string;
  /** Name of the host side of its veth, on the bridge (where tc shapes it). */
  readonly hostLink: string;
}

export interface HostPlan {
  readonly cidr: string;
  readonly bridge: string;
  readonly prefix: string;
  readonly prefixLength: number;
  /** The bridge's own address: the package cache listens there. */
  readonly bridgeIp: string;
  readonly hosts: readonly PlannedHost[];
}

export const HOST_PLAN_DEFAULTS = { cidr: '10.213.78.0/24', bridge: 'tbhbr0', prefix: 'tbh', controllers: 1, computes: 2 } as const;

const IFNAMSIZ = 15;
const FIRST_CONTROLLER = 10;
const FIRST_COMPUTE = 20;

/** The plan, or a `HostPlanError` listing every problem with the props. */
export function planHosts(props: HostPlanProps = {}): HostPlan {
  const p = { ...HOST_PLAN_DEFAULTS, ...props };
  const problems: string[] = [];
  const cidrOk = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(p.cidr) && p.cidr.split(/[./]/).every((n) => Number(n) <= 255);
  if (!cidrOk) problems.push(`cidr: not an IPv4 range; got ${JSON.stringify(p.cidr)}; allowed: a.b.c.d/n`);
  else if (parseCidr(p.cidr).bits > 26)
    problems.push(`cidr: too small for the plan (hosts up to .${FIRST_COMPUTE + 9}); got ${p.cidr}; allowed: a prefix of /26 or wider`);
  if (p.controllers !== 1 && p.controllers !== 3) problems.push(`controllers: got ${p.controllers}; allowed: 1 or 3`);
  if (!Number.isInteger(p.computes) || p.computes < 1 || p.computes > 9)
    problems.push(`computes: got ${p.computes}; allowed: an integer from 1 to 9`);
  if (!/^[a-z][a-z0-9-]*$/.test(p.bridge) || p.bridge.length > IFNAMSIZ)
    problems.push(
      `bridge: got ${JSON.stringify(p.bridge)}; allowed: a link name of lower-case letters, digits and '-', at most ${IFNAMSIZ} characters`,
    );
  // The longest host-side link is `<prefix>-ctl3` / `<prefix>-cmp9`: 5 characters after the prefix.
  if (!/^[a-z][a-z0-9]*$/.test(p.prefix) || p.prefix.length > IFNAMSIZ - 5)
    problems.push(`prefix: got ${JSON.stringify(p.prefix)}; allowed: lower-case letters and digits, at most ${IFNAMSIZ - 5} characters`);
  if (problems.length) throw new HostPlanError(problems);

  const { base, bits } = parseCidr(p.cidr);
  const network = (base & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
  const ipAt = (offset: number) => [24, 16, 8, 0].map((s) => ((network + offset) >>> s) & 255).join('.');
  const controllers = Array.from({ length: p.controllers }, (_, i): PlannedHost => ({
    name: p.controllers === 1 ? 'controller' : `controller-${i + 1}`,
    role: 'controller',
    ip: ipAt(FIRST_CONTROLLER + i),
    hostLink: `${p.prefix}-ctl${i + 1}`,
  }));
  const computes = Array.from({ length: p.computes }, (_, i): PlannedHost => ({
    name: `compute-${i + 1}`,
    role: 'compute',
    ip: ipAt(FIRST_COMPUTE + i),
    hostLink: `${p.prefix}-cmp${i + 1}`,
  }));
  return {
    cidr: p.cidr,
    bridge: p.bridge,
    prefix: p.prefix,
    prefixLength: bits,
    bridgeIp: ipAt(1),
    hosts: [...controllers, ...computes],
  };
}

/** The host plan's props are wrong: lists every problem. */
export class HostPlanError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`lab hosts: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the host plan\n  - ${problems.join('\n  - ')}`);
    this.name = 'HostPlanError';
  }
}
