/**
 * Cross-field rules of the testbed spec: what a per-key schema cannot say.
 *
 * Each rule looks at the whole (defaults-filled) spec and returns the problems it finds, so that
 * every problem is reported at once. Warnings are for inputs that deploy but that a user should
 * know about (the study's pg_num, for instance).
 */
import { overlaps, parseCidr } from './cidr.js';
import { BACKENDS, type Backend, type TestbedSpec } from './schema.js';
import { hostCapacity, hostCount } from './topology.js';

export interface SpecProblem {
  /** Key path in the file, e.g. `ceph.pools[1].size`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** The value received. */
  readonly value: unknown;
  /** What is allowed, or the fix. */
  readonly allowed: string;
}

type Rule = (spec: TestbedSpec) => SpecProblem[];

/** Ceph's default `mon_max_pg_per_osd`; above it, pool creation is refused. */
export const CEPH_MON_MAX_PG_PER_OSD = 250;

function cidrProblems(path: string, text: string): SpecProblem[] {
  const octets = text.split('/')[0]!.split('.').map(Number);
  if (octets.some((o) => o > 255)) return [{ path, message: 'an octet is above 255', value: text, allowed: 'an IPv4 CIDR such as 10.20.0.0/24' }];
  const { base, bits } = parseCidr(text);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((base & mask) >>> 0 !== base) {
    return [{ path, message: 'host bits are set in the network address', value: text, allowed: 'the network address of the range' }];
  }
  if (bits > 28) return [{ path, message: 'the range is too small for the testbed', value: text, allowed: 'a prefix of /28 or shorter' }];
  return [];
}

/** Failure domains that can hold a replica of a pool on `backend`. */
export function failureDomains(spec: TestbedSpec, backend: Backend): number {
  const nodes = spec.ceph.osd_nodes.filter((n) => n.osds.some((o) => o.backend === backend));
  if (spec.ceph.failure_domain === 'host') return nodes.length;
  return nodes.reduce((sum, n) => sum + n.osds.filter((o) => o.backend === backend).length, 0);
}

export function osdCount(spec: TestbedSpec, backend: Backend): number {
  return spec.ceph.osd_nodes.reduce((sum, n) => sum + n.osds.filter((o) => o.backend === backend).length, 0);
}

const rules: Record<string, Rule> = {
  networks: (spec) => {
    const problems = [
      ...cidrProblems('network.cidr', spec.network.cidr),
      ...cidrProblems('network.cluster_cidr', spec.network.cluster_cidr),
      ...cidrProblems('lab.cidr', spec.lab.cidr),
    ];
    if (problems.length === 0 && overlaps(spec.network.cidr, spec.network.cluster_cidr)) {
      problems.push({
        path: 'network.cluster_cidr',
        message: `overlaps network.cidr (${spec.network.cidr})`,
        value: spec.network.cluster_cidr,
        allowed: 'a range disjoint from network.cidr',
      });
    }
    const needed = hostCount(spec);
    if (problems.length === 0 && needed > hostCapacity(spec.network.cidr)) {
      problems.push({
        path: 'network.cidr',
        message: `${needed} hosts need ${needed} fixed addresses, and the range holds ${hostCapacity(spec.network.cidr)} after the first ten`,
        value: spec.network.cidr,
        allowed: `a larger range, e.g. a /${Math.floor(32 - Math.log2(needed + 12))}`,
      });
    }
    return problems;
  },

  uniqueNames: (spec) => {
    const seen = new Map<string, string>();
    const problems: SpecProblem[] = [];
    const visit = (path: string, value: string) => {
      const first = seen.get(value);
      if (first) problems.push({ path, message: `name already used at ${first}`, value, allowed: 'a host name used once in the testbed' });
      else seen.set(value, path);
    };
    for (let i = 0; i < spec.controllers.count; i++) seen.set(`controller-${i + 1}`, `controllers (controller-${i + 1})`);
    spec.compute_hosts.forEach((h, i) => visit(`compute_hosts[${i}].name`, h.name));
    spec.ceph.osd_nodes.forEach((n, i) => visit(`ceph.osd_nodes[${i}].name`, n.name));
    const pools = new Map<string, number>();
    spec.ceph.pools.forEach((p, i) => {
      const first = pools.get(p.name);
      if (first !== undefined) {
        problems.push({
          path: `ceph.pools[${i}].name`,
          message: `pool name already used at ceph.pools[${first}]`,
          value: p.name,
          allowed: 'a pool name used once',
        });
      } else pools.set(p.name, i);
    });
    return problems;
  },

  nodeSizes: (spec) =>
    Object.entries(spec.node_flavors).flatMap(([kind, size]): SpecProblem[] => {
      const path = `node_flavors.${kind}`;
      if (size.ram_gb !== undefined && size.ram_mib !== undefined) {
        return [
          {
            path: `${path}.ram_mib`,
            message: `RAM is given twice (ram_gb: ${size.ram_gb})`,
            value: size.ram_mib,
            allowed: 'ram_gb (whole GiB) or ram_mib (MiB), not both',
          },
        ];
      }
      if (size.ram_gb === undefined && size.ram_mib === undefined) {
        return [{ path: `${path}.ram_gb`, message: 'missing', value: undefined, allowed: 'ram_gb (whole GiB) or ram_mib (MiB)' }];
      }
      return [];
    }),

  computeHosts: (spec) =>
    spec.compute_hosts.length < 2
      ? [
          {
            path: 'compute_hosts',
            message: 'live migration needs a source and a target',
            value: spec.compute_hosts.length,
            allowed: 'at least 2 compute hosts',
          },
        ]
      : [],

  monsAndMgrs: (spec) => {
    const problems: SpecProblem[] = [];
    const places = spec.ceph.mon_placement === 'controllers' ? spec.controllers.count : spec.ceph.osd_nodes.length;
    const where = spec.ceph.mon_placement === 'controllers' ? 'controllers.count' : 'ceph.osd_nodes';
    if (spec.ceph.mons % 2 === 0) {
      problems.push({
        path: 'ceph.mons',
        message: 'an even number of monitors cannot break a tie in a split',
        value: spec.ceph.mons,
        allowed: 'an odd number (1, 3, 5)',
      });
    }
    if (spec.ceph.mons > places) {
      problems.push({
        path: 'ceph.mons',
        message: `more monitors than hosts to place them on (${where} gives ${places})`,
        value: spec.ceph.mons,
        allowed: `at most ${places}`,
      });
    }
    if (spec.ceph.mgrs > places) {
      problems.push({
        path: 'ceph.mgrs',
        message: `more managers than hosts to place them on (${where} gives ${places})`,
        value: spec.ceph.mgrs,
        allowed: `at most ${places}`,
      });
    }
    return problems;
  },

  pools: (spec) => {
    const problems: SpecProblem[] = [];
    spec.ceph.pools.forEach((p, i) => {
      const domains = failureDomains(spec, p.backend);
      if (osdCount(spec, p.backend) === 0) {
        problems.push({
          path: `ceph.pools[${i}].backend`,
          message: `no OSD in ceph.osd_nodes has backend ${p.backend}`,
          value: p.backend,
          allowed: `a backend with OSDs, or add ${p.backend} OSDs`,
        });
      } else if (p.size > domains) {
        problems.push({
          path: `ceph.pools[${i}].size`,
          message: `${p.size} replicas need ${p.size} ${spec.ceph.failure_domain}s with ${p.backend} OSDs, and there are ${domains}`,
          value: p.size,
          allowed: `at most ${domains}, or more ${p.backend} OSD ${spec.ceph.failure_domain}s`,
        });
      }
      if (p.min_size > p.size) {
        problems.push({
          path: `ceph.pools[${i}].min_size`,
          message: `min_size is above size (${p.size})`,
          value: p.min_size,
          allowed: `1 to ${p.size}`,
        });
      }
      if ((p.pg_num & (p.pg_num - 1)) !== 0) {
        problems.push({
          path: `ceph.pools[${i}].pg_num`,
          message: 'not a power of two, so PGs would hold unequal shares of the data',
          value: p.pg_num,
          allowed: 'a power of two (32, 64, ... 4096)',
        });
      }
    });
    for (const backend of BACKENDS) {
      if (!spec.ceph.pools.some((p) => p.backend === backend)) {
        problems.push({
          path: 'ceph.pools',
          message: `no pool on ${backend}; the study compares Filestore with Bluestore`,
          value: spec.ceph.pools.map((p) => p.name),
          allowed: 'one pool per backend (filestore and bluestore)',
        });
      }
    }
    return problems;
  },

  thresholds: (spec) => {
    const { low, high } = spec.policy.thresholds;
    return low > high
      ? [
          {
            path: 'policy.thresholds.low',
            message: `the low threshold is above the high one (${high})`,
            value: low,
            allowed: `0 ≤ low ≤ high ≤ 100, so at most ${high}`,
          },
        ]
      : [];
  },

  lab: (spec) => {
    const problems: SpecProblem[] = [];
    if (spec.lab.pool_size > spec.lab.osds_per_backend) {
      problems.push({
        path: 'lab.pool_size',
        message: `the lab has ${spec.lab.osds_per_backend} OSDs per backend (failure domain osd)`,
        value: spec.lab.pool_size,
        allowed: `at most lab.osds_per_backend (${spec.lab.osds_per_backend})`,
      });
    }
    // The disk load's region sits after the verify ring (1 MiB aligned) on the VM's image.
    const ringMib = Math.ceil(spec.experiments.verify.disk_blocks / 256);
    if (ringMib + spec.experiments.disk_load.region_mib > spec.lab.image_disk_mib) {
      problems.push({
        path: 'experiments.disk_load.region_mib',
        message: `the region and the ${ringMib} MiB verify ring (experiments.verify.disk_blocks) do not fit the lab's ${spec.lab.image_disk_mib} MiB VM images (lab.image_disk_mib)`,
        value: spec.experiments.disk_load.region_mib,
        allowed: `at most ${spec.lab.image_disk_mib - ringMib}`,
      });
    }
    if (!spec.lab.dir.startsWith('/')) {
      problems.push({
        path: 'lab.dir',
        message: 'must be an absolute path',
        value: spec.lab.dir,
        allowed: 'an absolute path on a disk filesystem (ext4 or xfs, not tmpfs)',
      });
    }
    return problems;
  },
};

const warnings: Record<string, Rule> = {
  pgsPerOsd: (spec) =>
    spec.ceph.pools.flatMap((p, i) => {
      const osds = osdCount(spec, p.backend);
      if (osds === 0) return [];
      const perOsd = Math.ceil((p.pg_num * p.size) / osds);
      return perOsd > CEPH_MON_MAX_PG_PER_OSD
        ? [
            {
              path: `ceph.pools[${i}].pg_num`,
              message: `${perOsd} PG replicas per ${p.backend} OSD, above Ceph's default mon_max_pg_per_osd (${CEPH_MON_MAX_PG_PER_OSD}); the rendered ceph.conf raises that limit to fit, as the study's pg_num needs`,
              value: p.pg_num,
              allowed: `about ${Math.max(1, 2 ** Math.round(Math.log2((100 * osds) / p.size)))} for Ceph's 100 PGs per OSD guideline`,
            },
          ]
        : [];
    }),
};

export function checkRules(spec: TestbedSpec): { problems: SpecProblem[]; warnings: SpecProblem[] } {
  return {
    problems: Object.values(rules).flatMap((rule) => rule(spec)),
    warnings: Object.values(warnings).flatMap((rule) => rule(spec)),
  };
}
