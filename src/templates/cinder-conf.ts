/** `templates/cinder.conf.hbs`: Cinder with one RBD backend per Ceph pool (Filestore and Bluestore). */
import { compileTemplate, generatedHeader } from './compile.js';
import { applyIniOverrides, type IniOverrides } from './ini.js';

export const CINDER_CONF_TEMPLATE = 'cinder.conf.hbs';

export interface CinderBackend {
  /** Section name (deployment-specific, e.g. `rbd-filestore`); listed in enabled_backends. */
  readonly section: string;
  /** volume_backend_name, which the volume type of the same name selects. */
  readonly backendName: string;
  readonly pool: string;
  readonly cephConf: string;
  readonly user: string;
  readonly secretUuid: string;
}

export interface CinderConfData {
  readonly myIp: string;
  readonly transportUrl: string;
  readonly glanceUrl: string;
  readonly databaseUrl: string;
  readonly memcachedServers: readonly string[];
  readonly keystone: { readonly url: string; readonly publicUrl: string; readonly cinderPassword: string };
  readonly enabledBackends: readonly string[];
  readonly defaultVolumeType: string;
  readonly backends: readonly CinderBackend[];
  /** `overrides.cinder` from the spec, layered last. */
  readonly overrides: IniOverrides;
}

export function renderCinderConf(data: CinderConfData): string {
  const text = compileTemplate<CinderConfData & { header: string }>(CINDER_CONF_TEMPLATE)({ ...data, header: generatedHeader(`templates/${CINDER_CONF_TEMPLATE}`) });
  return applyIniOverrides(text, data.overrides);
}
