/** `testbed render`: from the spec (and the cloud's outputs) to the configuration tree and the Ansible inventory. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './ceph-data.js';
export * from './cinder-data.js';
export * from './haproxy-data.js';
export * from './inventory-data.js';
export * from './nova-data.js';
export * from './openstack-clients-data.js';
export * from './openstack-data.js';
export * from './render-context.js';
export * from './render-files.js';
export * from './render.js';
export * from './tf-outputs.js';
export * from './write-tree.js';
