/** Running the tools the testbed drives (execa runner, ansible-playbook, iproute2, systemd-nspawn, cdktf, terraform). The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './ansible.js';
export * from './cdktf.js';
export * from './iproute2.js';
export * from './nspawn.js';
export * from './runner.js';
export * from './terraform.js';
