/**
 * The testbed's real service ports, in one table: security groups open exactly these, and the
 * HAProxy frontends use the API ones. Pure data.
 */
export interface PortRange {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly protocol: 'tcp' | 'udp';
}

const tcp = (name: string, from: number, to = from): PortRange => ({ name, from, to, protocol: 'tcp' });

/** SSH, for Ansible (through the bastion) and Nova's resize/cold-migration path between computes. */
export const SSH_PORTS = [tcp('ssh', 22)];

/** Ceph: mon msgr v2 and v1, then OSD and mgr daemons. */
export const CEPH_PORTS = [tcp('ceph-mon-v2', 3300), tcp('ceph-mon-v1', 6789), tcp('ceph-osd-mgr', 6800, 7300)];

/** Live migration between computes: libvirtd's TCP/TLS listeners and QEMU's native migration range. */
export const MIGRATION_PORTS = [tcp('libvirt', 16509), tcp('libvirt-tls', 16514), tcp('qemu-migration', 49152, 49215), tcp('vnc', 5900, 5999)];

/** OpenStack APIs (these are also HAProxy's frontends on the controllers). */
export const OPENSTACK_API_PORTS = [
  tcp('keystone', 5000),
  tcp('glance', 9292),
  tcp('nova', 8774),
  tcp('nova-metadata', 8775),
  tcp('placement', 8778),
  tcp('neutron', 9696),
  tcp('cinder', 8776),
  tcp('novnc', 6080),
];

/** The controllers' own cluster services: Galera, RabbitMQ (and its clustering), memcached. */
export const CONTROL_PLANE_PORTS = [
  tcp('mariadb', 3306),
  tcp('galera', 4567, 4568),
  tcp('galera-sst', 4444),
  tcp('rabbitmq', 5672),
  tcp('rabbitmq-epmd', 4369),
  tcp('rabbitmq-dist', 25672),
  tcp('memcached', 11211),
];

/** The paper's load balancer: the application frontend and HAProxy's stats page. */
export const HAPROXY_PORTS = [tcp('app-http', 80), tcp('haproxy-stats', 8404)];

/** The test application in the VMs. */
export const APP_PORTS = [tcp('app-http', 80)];
