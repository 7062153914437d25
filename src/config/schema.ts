/**
 * The testbed spec: one YAML file (`testbed.yaml`) whose defaults are the study's testbed.
 *
 * Keys are snake_case, exactly as they appear in the file, so an error's key path is the path
 * a user types. Every key has a default; `testbed.yaml` at the repository root documents each one.
 * Cross-field rules live in `rules.ts`; loading and error reporting in `load.ts`.
 */
import { z } from 'zod';

const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'a lowercase name of 1-31 letters, digits or dashes, starting with a letter');
const positiveInt = z.number().int().positive();
const percent = z.number().min(0).max(100);
const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, 'an IPv4 CIDR such as 10.20.0.0/24');

/** Operator overrides for a rendered INI file: section → key → value, layered last. */
const iniOverrides = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).default({});

export const BACKENDS = ['filestore', 'bluestore'] as const;
export type Backend = (typeof BACKENDS)[number];
/** Server-group policies that keep the testbed's controllers (and its Ceph nodes) on different hypervisors. */
export const SERVER_GROUP_POLICIES = ['anti-affinity', 'soft-anti-affinity'] as const;
/** What `cdktf deploy testbed` does: the infrastructure and then the post-deploy phases, or the infrastructure only. */
export const DEPLOY_MODES = ['full', 'infrastructure'] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];
export const FLAVOR_NAMES = ['small', 'medium', 'large', 'xlarge'] as const;
/** What the guest does during a migration: nothing, dirty memory, write to its disk, or both. */
export const MIGRATION_LOADS = ['none', 'memory', 'disk', 'memory+disk'] as const;

export type FlavorName = (typeof FLAVOR_NAMES)[number];

/**
 * A machine size. RAM is given in GiB (`ram_gb`) or, for sizes that are not whole GiB, in MiB
 * (`ram_mib`, Nova's own unit): exactly one of the two (rules.ts). `nodeRamMib()` reads either.
 */
const nodeSize = z
  .object({
    vcpus: positiveInt,
    ram_gb: positiveInt.optional(),
    ram_mib: positiveInt.optional(),
    disk_gb: positiveInt,
  })
  .strict();

const cloud = z
  .object({
    name: z.string().min(1).default('testbed'),
    region: z.string().min(1).default('RegionOne'),
    external_network: z.string().min(1).default('public'),
    image: z.string().min(1).default('debian-12-generic-amd64'),
    ssh_user: z.string().min(1).default('debian'),
    key_pair: z
      .object({
        name: z.string().min(1).default('sds-testbed'),
        public_key_file: z.string().min(1).default('~/.ssh/id_ed25519.pub'),
      })
      .strict()
      .default({}),
    create_flavors: z.boolean().default(true),
    admin_cidrs: z.array(cidr).default([]),
    availability_zone: z.string().min(1).optional(),
    server_group_policy: z.enum(SERVER_GROUP_POLICIES).default('anti-affinity'),
    deploy: z.enum(DEPLOY_MODES).default('full'),
  })
  .strict()
  .default({});

const nodeFlavors = z
  .object({
    controller: nodeSize.default({ vcpus: 4, ram_gb: 16, disk_gb: 200 }),
    compute: nodeSize.default({ vcpus: 16, ram_gb: 64, disk_gb: 100 }),
    ceph: nodeSize.default({ vcpus: 4, ram_gb: 16, disk_gb: 40 }),
  })
  .strict()
  .default({});

const controllers = z
  .object({
    count: positiveInt.default(3),
  })
  .strict()
  .default({});

const computeHost = z
  .object({
    name,
    node_flavor: z.enum(['controller', 'compute', 'ceph']).default('compute'),
  })
  .strict();

const osd = z
  .object({
    backend: z.enum(BACKENDS),
    size_gb: positiveInt,
  })
  .strict();

const osdNode = z
  .object({
    name,
    osds: z.array(osd).min(1),
  })
  .strict();

const defaultOsds = [
  { backend: 'filestore' as const, size_gb: 500 },
  { backend: 'filestore' as const, size_gb: 500 },
  { backend: 'bluestore' as const, size_gb: 500 },
  { backend: 'bluestore' as const, size_gb: 500 },
];

const pool = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a Ceph pool name of lowercase letters, digits, "-" or "_"'),
    backend: z.enum(BACKENDS),
    pg_num: positiveInt.default(4096),
    size: positiveInt.default(3),
    min_size: positiveInt.default(2),
  })
  .strict();

const ceph = z
  .object({
    fsid: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a lowercase UUID')
      .optional(),
    mons: positiveInt.default(3),
    mgrs: positiveInt.default(3),
    mon_placement: z.enum(['controllers', 'osd_nodes']).default('controllers'),
    osd_nodes: z
      .array(osdNode)
      .min(1)
      .default([
        { name: 'ceph-1', osds: defaultOsds },
        { name: 'ceph-2', osds: defaultOsds },
        { name: 'ceph-3', osds: defaultOsds },
      ]),
    failure_domain: z.enum(['host', 'osd']).default('host'),
    filestore: z
      .object({
        journal_size_gb: positiveInt.default(5),
        filesystem: z.enum(['xfs', 'ext4']).default('xfs'),
      })
      .strict()
      .default({}),
    bluestore: z
      .object({
        db_size_gb: positiveInt.default(30),
        wal_size_gb: positiveInt.default(2),
      })
      .strict()
      .default({}),
    osd_memory_target_mib: z.number().int().min(896).default(4096),
    pools: z
      .array(pool)
      .min(1)
      .default([
        { name: 'filestore', backend: 'filestore', pg_num: 4096, size: 3, min_size: 2 },
        { name: 'bluestore', backend: 'bluestore', pg_num: 4096, size: 3, min_size: 2 },
      ]),
    rbd_images_per_pool: z
      .object({
        small: z.number().int().min(0).default(9),
        medium: z.number().int().min(0).default(9),
        large: z.number().int().min(0).default(9),
        xlarge: z.number().int().min(0).default(8),
      })
      .strict()
      .default({}),
    overrides: iniOverrides,
  })
  .strict()
  .default({});

const flavor = z
  .object({
    vcpus: positiveInt,
    ram_gb: positiveInt,
    disk_gb: positiveInt,
    lab_ram_mib: positiveInt,
  })
  .strict();

const flavors = z
  .object({
    small: flavor.default({ vcpus: 2, ram_gb: 4, disk_gb: 40, lab_ram_mib: 256 }),
    medium: flavor.default({ vcpus: 4, ram_gb: 8, disk_gb: 80, lab_ram_mib: 512 }),
    large: flavor.default({ vcpus: 8, ram_gb: 16, disk_gb: 160, lab_ram_mib: 1024 }),
    xlarge: flavor.default({ vcpus: 8, ram_gb: 16, disk_gb: 250, lab_ram_mib: 2048 }),
  })
  .strict()
  .default({});

const network = z
  .object({
    cidr: cidr.default('10.20.0.0/24'),
    cluster_cidr: cidr.default('10.20.1.0/24'),
    dns_nameservers: z.array(z.string().ip({ version: 'v4' })).default([]),
    migration_bandwidth_mbit: positiveInt.default(1000),
    mtu: z.number().int().min(1280).max(9000).optional(),
  })
  .strict()
  .default({});

const liveMigration = z
  .object({
    downtime_ms: z.number().int().min(100).default(500),
    downtime_steps: z.number().int().min(3).default(10),
    downtime_delay_s: z.number().int().min(3).default(75),
    completion_timeout_s: z.number().int().min(0).default(800),
    timeout_action: z.enum(['abort', 'force_complete']).default('abort'),
    permit_post_copy: z.boolean().default(false),
    permit_auto_converge: z.boolean().default(false),
    bandwidth_mib: z.number().int().min(0).default(0),
    max_concurrent: z.number().int().min(0).default(1),
  })
  .strict()
  .default({});

const policy = z
  .object({
    mode: z.enum(['consolidate', 'safe', 'paper']).default('consolidate'),
    interval_s: positiveInt.default(600),
    sample_period_s: positiveInt.default(60),
    thresholds: z
      .object({
        low: percent.default(25),
        high: percent.default(70),
      })
      .strict()
      .default({}),
    weights: z
      .object({
        w1: z.number().int().min(0).max(256).default(32),
        w2: z.number().int().min(0).max(256).default(128),
      })
      .strict()
      .default({}),
    vmnet: z
      .object({
        beta: z.union([z.literal('auto'), z.number().min(0).max(10)]).default('auto'),
        limit_mib: z.number().min(0).optional(),
      })
      .strict()
      .default({}),
    hysteresis_pct: percent.default(5),
    cooldown_s: z.number().int().min(0).default(1800),
    allow_destroy: z.boolean().default(false),
    max_migrations_per_cycle: z.number().int().min(0).default(4),
  })
  .strict()
  .default({});

const experiments = z
  .object({
    repetitions: positiveInt.default(20),
    loads: z.array(z.enum(MIGRATION_LOADS)).min(1).default(['none', 'memory']),
    flavors: z
      .array(z.enum(FLAVOR_NAMES))
      .min(1)
      .default([...FLAVOR_NAMES]),
    memory_load: z
      .object({
        working_set_pct: percent.default(50),
        dirty_rate_mib_s: z.number().positive().default(64),
      })
      .strict()
      .default({}),
    /**
     * Loads `disk` and `memory+disk`: the guest writes 4 KiB blocks at random offsets of its own disk
     * (the RBD image) during the migration (guest/dirtier.c), and reports throughput and latency per phase.
     */
    disk_load: z
      .object({
        iops: z.number().int().min(1).max(100_000).default(200),
        queue_depth: z.number().int().min(1).max(64).default(4),
        mode: z.enum(['direct', 'fsync']).default('direct'),
        region_mib: positiveInt.default(16),
        window_s: z.number().min(1).max(60).default(3),
      })
      .strict()
      .default({}),
    /** What the guest checks after every migration (see guest/dirtier.c): a share of its RAM, every byte, and a ring of disk blocks. */
    verify: z
      .object({
        memory_pct: z.number().int().min(1).max(75).default(25),
        disk_blocks: z.number().int().min(1).max(65536).default(256),
      })
      .strict()
      .default({}),
    probe_interval_ms: z.number().int().min(1).max(10).default(10),
    fio: z
      .object({
        block_size: z
          .string()
          .regex(/^\d+[kKmM]$/, 'a block size such as 4k')
          .default('4k'),
        iodepth: positiveInt.default(32),
        runtime_s: positiveInt.default(30),
        ramp_s: z.number().int().min(0).default(2),
        repeats: z.number().int().min(3).default(3),
        image_size_gb: positiveInt.default(2),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

const lab = z
  .object({
    dir: z.string().min(1).default('/var/lib/sds-testbed-lab'),
    /** What outlives a teardown: the base rootfs and the package cache. @default - `<dir>/cache` */
    cache_dir: z.string().min(1).optional(),
    /** Prefix of the hosts' host-side links and nspawn machine names (`<prefix>-cmp1`, `<prefix>-controller`). */
    link_prefix: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,9}$/)
      .default('tb'),
    compute_hosts: z.number().int().min(2).default(2),
    cidr: cidr.default('10.213.77.0/24'),
    bridge: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,11}$/)
      .default('tbbr0'),
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    osds_per_backend: z.number().int().min(1).default(2),
    bluestore_file_gib: positiveInt.default(10),
    filestore_journal_mib: positiveInt.default(1024),
    pool_pg_num: positiveInt.default(32),
    pool_size: positiveInt.default(2),
    image_disk_mib: positiveInt.default(256),
    policy_job: z.enum(['dry-run', 'act']).default('dry-run'),
  })
  .strict()
  .default({});

export const testbedSpecSchema = z
  .object({
    name: name.default('sds-testbed'),
    cloud,
    node_flavors: nodeFlavors,
    controllers,
    compute_hosts: z.array(computeHost).default([
      { name: 'compute-1', node_flavor: 'compute' },
      { name: 'compute-2', node_flavor: 'compute' },
    ]),
    ceph,
    flavors,
    network,
    live_migration: liveMigration,
    policy,
    experiments,
    lab,
    overrides: z
      .object({
        nova: iniOverrides,
        cinder: iniOverrides,
      })
      .strict()
      .default({}),
  })
  .strict();

/** The validated testbed spec, with every default filled in. */
export type TestbedSpec = z.output<typeof testbedSpecSchema>;
/** What a user may write in testbed.yaml (everything optional). */
export type TestbedSpecInput = z.input<typeof testbedSpecSchema>;
export type PoolSpec = TestbedSpec['ceph']['pools'][number];
export type OsdNodeSpec = TestbedSpec['ceph']['osd_nodes'][number];
export type FlavorSpec = TestbedSpec['flavors'][FlavorName];
export type NodeSizeSpec = TestbedSpec['node_flavors']['controller'];
