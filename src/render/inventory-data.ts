/**
 * The Ansible inventory (`inventory.yml`): groups, host vars and `all` vars of the render contract.
 *
 * cloud: every planned host, reached through the bastion's floating IP when the Terraform outputs give
 * one; OSD device paths from the outputs' volume ids. lab: the lab's controller and computes,
 * `ansible_connection: local` (the lab's plays enter the namespaces themselves). Pure.
 */
import type { HostRole } from '../config/index.js';
import { volumeTypes } from './cinder-data.js';
import { apiVip, hostIp, type RenderContext } from './render-context.js';
import { virtioDiskPath } from './tf-outputs.js';
import { haproxySocket } from './haproxy-data.js';

export const INVENTORY_GROUPS = ['controllers', 'computes', 'ceph_mons', 'ceph_mgrs', 'ceph_osds', 'haproxy', 'migration_policy'] as const;
export type InventoryGroup = (typeof INVENTORY_GROUPS)[number];

const GROUP_OF_ROLE: Record<HostRole, InventoryGroup> = {
  controller: 'controllers',
  compute: 'computes',
  ceph_mon: 'ceph_mons',
  ceph_mgr: 'ceph_mgrs',
  ceph_osd: 'ceph_osds',
  haproxy: 'haproxy',
  migration_policy: 'migration_policy',
};

export interface InventoryOsd {
  readonly id: number;
  readonly backend: 'filestore' | 'bluestore';
  /** Size of the data volume (cloud) or Bluestore file (lab); null for a lab Filestore directory. */
  readonly size_gb: number | null;
  /** journal (Filestore) or db (Bluestore); null when the lab keeps the DB inside the block file. */
  readonly aux_kind: 'journal' | 'db' | null;
  readonly aux_size_gb: number | null;
  /** Cloud with Terraform outputs only: the data volume's device path. */
  readonly device?: string;
  readonly aux_device?: string;
}

export interface InventoryHostVars {
  readonly ansible_host: string;
  readonly ansible_connection?: 'local';
  /** Cloud, bastion only: cancels the group's ProxyJump (the bastion is reached directly). */
  readonly ansible_ssh_common_args?: string;
  readonly testbed_ip: string;
  readonly testbed_cluster_ip?: string;
  /** Lab only: the host's network namespace. */
  readonly testbed_netns?: string;
  readonly testbed_osds?: readonly InventoryOsd[];
}

export interface InventoryData {
  readonly all: {
    readonly vars: Readonly<Record<string, unknown>>;
    readonly hosts: Readonly<Record<string, InventoryHostVars>>;
    readonly children: Readonly<Record<InventoryGroup, { readonly hosts: Readonly<Record<string, null>> }>>;
  };
}

function groups(members: Record<InventoryGroup, string[]>): InventoryData['all']['children'] {
  return Object.fromEntries(
    INVENTORY_GROUPS.map((g) => [g, { hosts: Object.fromEntries(members[g].map((h) => [h, null])) }]),
  ) as InventoryData['all']['children'];
}

function emptyMembers(): Record<InventoryGroup, string[]> {
  return Object.fromEntries(INVENTORY_GROUPS.map((g) => [g, [] as string[]])) as unknown as Record<InventoryGroup, string[]>;
}

export function inventoryData(ctx: RenderContext): InventoryData {
  const members = emptyMembers();
  const hosts: Record<string, InventoryHostVars> = {};
  const vars: Record<string, unknown> = {
    testbed_target: ctx.target,
    testbed_rendered_dir: ctx.outDir,
    ...(ctx.secretsFile ? { testbed_secrets_file: ctx.secretsFile } : {}),
    testbed_name: ctx.spec.name,
    // The region of the endpoints, as nova.conf and cinder.conf name it.
    testbed_region: ctx.spec.cloud.region,
    // The HAProxy runtime socket the policy job drives (haproxy.cfg's stats socket).
    testbed_haproxy_socket: haproxySocket(ctx),
    ceph_fsid: ctx.fsid,
    // Address of the OpenStack API frontends (HAProxy binds it on the haproxy host).
    testbed_api_vip: apiVip(ctx),
    // Cinder volume types to create, one per RBD backend of cinder.conf.
    testbed_volume_types: volumeTypes(ctx),
    // What the ceph_pools role creates: the pools, their failure domain, and the RBD images per flavor.
    testbed_ceph_pools: cephPools(ctx),
    testbed_ceph_failure_domain: ctx.target === 'lab' ? 'osd' : ctx.spec.ceph.failure_domain,
    testbed_rbd_images: rbdImages(ctx),
    // The study's VM flavors, created in the testbed's Nova by the openstack_controller role.
    testbed_flavors: flavorsOf(ctx),
  };

  if (ctx.target === 'lab') {
    const { lab, spec } = ctx;
    vars.testbed_lab_dir = spec.lab.dir;
    const c = lab.controller;
    hosts[c.name] = {
      ansible_host: 'localhost',
      ansible_connection: 'local',
      testbed_ip: c.ip,
      testbed_cluster_ip: ctx.monHost ?? c.ip,
      testbed_netns: c.netns,
      testbed_osds: lab.osds.map((o) =>
        o.backend === 'filestore'
          ? { id: o.id, backend: o.backend, size_gb: null, aux_kind: 'journal', aux_size_gb: spec.lab.filestore_journal_mib / 1024 }
          : { id: o.id, backend: o.backend, size_gb: spec.lab.bluestore_file_gib, aux_kind: null, aux_size_gb: null },
      ),
    };
    for (const g of ['controllers', 'ceph_mons', 'ceph_mgrs', 'ceph_osds', 'haproxy', 'migration_policy'] as const) members[g].push(c.name);
    for (const h of lab.computes) {
      hosts[h.name] = { ansible_host: 'localhost', ansible_connection: 'local', testbed_ip: h.ip, testbed_netns: h.netns };
      members.computes.push(h.name);
    }
    return { all: { vars, hosts, children: groups(members) } };
  }

  const tf = ctx.tfOutputs;
  vars.ansible_user = tf?.bastion.ssh_user ?? ctx.spec.cloud.ssh_user;
  if (tf) {
    vars.testbed_bastion_ip = tf.bastion.floating_ip;
    // Every host but the bastion is reached through it; the bastion directly on its floating IP.
    vars.ansible_ssh_common_args = `-o ProxyJump=${tf.bastion.ssh_user}@${tf.bastion.floating_ip}`;
  }
  for (const h of ctx.topology.hosts) {
    const out = tf?.hosts.find((o) => o.name === h.name);
    const ip = hostIp(ctx, h);
    const isBastion = tf !== undefined && h.name === tf.bastion.host;
    const host: InventoryHostVars = {
      ansible_host: isBastion ? tf.bastion.floating_ip : ip,
      testbed_ip: ip,
      ...(h.cluster_ip ? { testbed_cluster_ip: out?.cluster_ip || h.cluster_ip } : {}),
      ...(h.osds.length
        ? {
            testbed_osds: h.osds.map((o): InventoryOsd => {
              const vol = out?.osds.find((v) => v.id === o.id);
              return {
                id: o.id,
                backend: o.backend,
                size_gb: o.size_gb,
                aux_kind: o.aux.kind,
                aux_size_gb: o.aux.size_gb,
                ...(vol ? { device: virtioDiskPath(vol.volume_id), aux_device: virtioDiskPath(vol.aux_volume_id) } : {}),
              };
            }),
          }
        : {}),
    };
    hosts[h.name] = isBastion ? { ...host, ansible_ssh_common_args: '' } : host;
    for (const role of h.roles) members[GROUP_OF_ROLE[role]].push(h.name);
  }
  return { all: { vars, hosts, children: groups(members) } };
}

/**
 * The flavors Nova gets. Cloud: the study's sizes. Lab: the scaled ones the lab's VMs have always had
 * (1 vCPU under TCG, `lab_ram_mib`), with a 1 GB disk: they boot from Cinder volumes, so Nova does
 * not size a root disk from it.
 */
function flavorsOf(ctx: RenderContext) {
  return (['small', 'medium', 'large', 'xlarge'] as const).map((f) =>
    ctx.target === 'lab'
      ? { name: f, vcpus: 1, ram_mb: ctx.lab.flavorRamMib[f], disk_gb: 1 }
      : { name: f, vcpus: ctx.spec.flavors[f].vcpus, ram_mb: ctx.spec.flavors[f].ram_gb * 1024, disk_gb: ctx.spec.flavors[f].disk_gb },
  );
}

/** The pools of the target: the spec's (cloud) or the lab's scaled ones. */
function cephPools(ctx: RenderContext) {
  const pools = ctx.target === 'lab' ? ctx.lab.pools : ctx.spec.ceph.pools;
  return pools.map((p) => ({ name: p.name, backend: p.backend, pg_num: p.pg_num, size: p.size, min_size: p.min_size }));
}

/**
 * RBD images created in every pool, named `<prefix>-<n>`. Cloud: the spec's count per flavor, sized
 * by the flavor's disk. Lab: two images per flavor (standing VMs boot from `<flavor>-1`, the
 * experiments' VMs from `<flavor>-2`), plus the fio image.
 */
function rbdImages(ctx: RenderContext) {
  const { spec } = ctx;
  const flavors = ['small', 'medium', 'large', 'xlarge'] as const;
  if (ctx.target === 'lab') {
    return [
      // <flavor>-1 for the standing VMs, <flavor>-2 for the experiments' VMs.
      ...flavors.map((f) => ({ prefix: f, count: 2, size_mib: spec.lab.image_disk_mib })),
      { prefix: 'fio', count: 1, size_mib: spec.experiments.fio.image_size_gb * 1024 },
    ];
  }
  return flavors
    .filter((f) => spec.ceph.rbd_images_per_pool[f] > 0)
    .map((f) => ({ prefix: f, count: spec.ceph.rbd_images_per_pool[f], size_mib: spec.flavors[f].disk_gb * 1024 }));
}
