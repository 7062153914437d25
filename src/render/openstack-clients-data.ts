/**
 * clouds.yaml (the policy job's credentials for the testbed's own OpenStack) and policy/policy.yaml
 * (the policy job's spec). Pure.
 */
import type { TestbedSpec } from '../config/index.js';
import type { PasswordName } from '../secrets/index.js';
import { RABBITMQ_USER, keystoneUrl, password } from './openstack-data.js';
import type { RenderContext } from './render-context.js';

export interface CloudsYamlData {
  readonly clouds: Readonly<
    Record<
      string,
      {
        readonly auth: {
          readonly auth_url: string;
          readonly username: string;
          readonly password: string;
          readonly project_name: string;
          readonly user_domain_name: string;
          readonly project_domain_name: string;
        };
        readonly region_name: string;
        readonly identity_api_version: 3;
        readonly interface: 'internal' | 'public';
      }
    >
  >;
}

/**
 * The policy job's spec: an excerpt of testbed.yaml with the keys the job reads (its `--spec`,
 * `testbed policy run --spec policy.yaml`); every other key is at its default, which the job does
 * not use. The clouds.yaml entry (`testbed_name`) and the HAProxy socket (`testbed_haproxy_socket`)
 * reach the job's unit as inventory vars.
 */
export interface PolicyJobConfig {
  readonly name: string;
  readonly network: { readonly migration_bandwidth_mbit: number };
  /** testbed.yaml's live_migration section (the policy's settings and the abort timeout read it). */
  readonly live_migration: TestbedSpec['live_migration'];
  /** testbed.yaml's policy section, as is. */
  readonly policy: TestbedSpec['policy'];
}

/**
 * Ansible vars for the roles that create what the rendered files log in with (database users, the
 * RabbitMQ user, Keystone users): every password of the secrets file, nothing else. Mode 0600; the
 * roles load it with `include_vars` and use `no_log: true` on the tasks that pass them on.
 */
export interface ServicePasswordsData {
  readonly testbed_rabbitmq_user: string;
  readonly testbed_passwords: Readonly<Record<PasswordName, string>>;
}

export function servicePasswordsData(ctx: RenderContext): ServicePasswordsData {
  return { testbed_rabbitmq_user: RABBITMQ_USER, testbed_passwords: ctx.secrets.passwords };
}

/**
 * The testbed's own cloud in clouds.yaml. Named after the testbed, not `cloud.name`: that entry is the
 * underlying cloud the testbed runs on, and the two files may sit side by side.
 */
export function testbedCloudName(ctx: RenderContext): string {
  return ctx.spec.name;
}

export function cloudsYamlData(ctx: RenderContext): CloudsYamlData {
  return {
    clouds: {
      [testbedCloudName(ctx)]: {
        auth: {
          auth_url: keystoneUrl(ctx),
          username: 'admin',
          password: password(ctx, 'keystone_admin'),
          project_name: 'admin',
          user_domain_name: 'Default',
          project_domain_name: 'Default',
        },
        region_name: ctx.spec.cloud.region,
        identity_api_version: 3,
        interface: 'internal',
      },
    },
  };
}

export function policyJobConfig(ctx: RenderContext): PolicyJobConfig {
  return {
    name: ctx.spec.name,
    network: { migration_bandwidth_mbit: ctx.spec.network.migration_bandwidth_mbit },
    live_migration: ctx.spec.live_migration,
    policy: ctx.spec.policy,
  };
}
