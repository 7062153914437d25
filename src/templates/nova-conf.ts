/** `templates/nova.conf.hbs`: one nova.conf per controller and compute host (two variants of one template). */
import { compileTemplate, generatedHeader } from './compile.js';
import { applyIniOverrides, type IniOverrides } from './ini.js';

export const NOVA_CONF_TEMPLATE = 'nova.conf.hbs';

export interface NovaLiveMigration {
  readonly downtimeMs: number;
  readonly downtimeSteps: number;
  readonly downtimeDelayS: number;
  readonly completionTimeoutS: number;
  readonly timeoutAction: 'abort' | 'force_complete';
  readonly permitPostCopy: boolean;
  readonly permitAutoConverge: boolean;
  /** MiB/s; 0 = unlimited. */
  readonly bandwidthMib: number;
  /** 0 = unlimited. */
  readonly maxConcurrent: number;
}

export interface NovaConfData {
  readonly hostName: string;
  readonly role: 'controller' | 'compute';
  readonly myIp: string;
  readonly region: string;
  /** `rabbit://user:password@host:5672,.../` (holds a secret). */
  readonly transportUrl: string;
  readonly keystone: {
    /** Internal auth URL (the API VIP). */
    readonly url: string;
    readonly publicUrl: string;
    readonly novaPassword: string;
    readonly placementPassword: string;
    readonly neutronPassword: string;
  };
  readonly glanceUrl: string;
  readonly liveMigration: NovaLiveMigration;
  /** Controller services (API, conductor, scheduler, metadata), or null on a compute host. */
  readonly controller: {
    readonly databaseUrl: string;
    readonly apiDatabaseUrl: string;
    readonly memcachedServers: readonly string[];
    readonly metadataProxySecret: string;
    /** nova-conductor's and nova-scheduler's worker processes; null leaves Nova's default (one per CPU). */
    readonly workers: number | null;
  } | null;
  /** nova-compute's settings, or null on a controller. */
  readonly compute: {
    /** kvm where the host has /dev/kvm, qemu otherwise. */
    readonly virtType: 'kvm' | 'qemu';
    readonly novncproxyBaseUrl: string;
    readonly rbd: { readonly pool: string; readonly cephConf: string; readonly user: string; readonly secretUuid: string };
  } | null;
  /** `overrides.nova` from the spec, layered last. */
  readonly overrides: IniOverrides;
}

export function renderNovaConf(data: NovaConfData): string {
  const text = compileTemplate<NovaConfData & { header: string }>(NOVA_CONF_TEMPLATE)({ ...data, header: generatedHeader(`templates/${NOVA_CONF_TEMPLATE}`) });
  return applyIniOverrides(text, data.overrides);
}
