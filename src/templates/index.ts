/** The service configuration files, as Handlebars templates with typed data. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './ceph-conf.js';
export * from './ceph-keyring.js';
export * from './cinder-conf.js';
export * from './compile.js';
export * from './haproxy-cfg.js';
export * from './ini.js';
export * from './libvirt-secret.js';
export * from './nova-conf.js';
export * from './yaml-file.js';
