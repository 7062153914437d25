/**
 * OpenStack credentials (clouds.yaml or OS_* variables) and a Keystone v3 password session.
 *
 * clouds.yaml is searched where openstacksdk looks: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml; the cloud is `OS_CLOUD` (or the only one in the file). Without a file,
 * OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME
 * and OS_REGION_NAME are read. The password and the token are never logged nor put in errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface OpenStackCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  readonly regionName?: string;
  /** Where they came from, for messages (never the values). */
  readonly source: string;
}

export class OpenStackConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'OpenStackConfigError';
  }
}

export function cloudsYamlPaths(cwd = process.cwd()): string[] {
  return [join(cwd, 'clouds.yaml'), join(homedir(), '.config/openstack/clouds.yaml'), '/etc/openstack/clouds.yaml'];
}

/** Reads credentials: an explicit clouds.yaml, else the first one found, else OS_* variables. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env, file?: string): OpenStackCredentials {
  if (file && !existsSync(file))
    throw new OpenStackConfigError(`--clouds: no such file; got ${JSON.stringify(file)}; allowed: the path of a clouds.yaml`);
  if (!file && env.OS_CLIENT_CONFIG_FILE && !existsSync(env.OS_CLIENT_CONFIG_FILE)) {
    throw new OpenStackConfigError(
      `OS_CLIENT_CONFIG_FILE: no such file; got ${JSON.stringify(env.OS_CLIENT_CONFIG_FILE)}; allowed: the path of a clouds.yaml`,
    );
  }
  const path = file ?? env.OS_CLIENT_CONFIG_FILE ?? cloudsYamlPaths().find((p) => existsSync(p));
  if (path) return fromCloudsYaml(path, env.OS_CLOUD);
  const missing = ['OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new OpenStackConfigError(
      `no clouds.yaml found (looked in ${cloudsYamlPaths().join(', ')}) and ${missing.join(', ')} not set; allowed: a clouds.yaml, or the OS_* variables of an openrc file`,
    );
  }
  return {
    authUrl: env.OS_AUTH_URL!,
    username: env.OS_USERNAME!,
    password: env.OS_PASSWORD!,
    projectName: env.OS_PROJECT_NAME!,
    userDomainName: env.OS_USER_DOMAIN_NAME ?? 'Default',
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    regionName: env.OS_REGION_NAME,
    source: 'OS_* environment variables',
  };
}

function fromCloudsYaml(path: string, cloud: string | undefined): OpenStackCredentials {
  const doc = parse(readFileSync(path, 'utf8')) as { clouds?: Record<string, { auth?: Record<string, string>; region_name?: string }> } | null;
  const clouds = doc?.clouds ?? {};
  const names = Object.keys(clouds);
  const name = cloud ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !clouds[name]) {
    throw new OpenStackConfigError(
      `${path}: clouds.${cloud ?? '?'}: no such cloud; got ${JSON.stringify(names)}; allowed: set OS_CLOUD to one of them`,
    );
  }
  const auth = clouds[name].auth ?? {};
  const missing = ['auth_url', 'username', 'password', 'project_name'].filter((k) => !auth[k]);
  if (missing.length > 0)
    throw new OpenStackConfigError(`${path}: clouds.${name}.auth: missing ${missing.join(', ')}; allowed: Keystone v3 password auth`);
  return {
    authUrl: auth.auth_url!,
    username: auth.username!,
    password: auth.password!,
    projectName: auth.project_name!,
    userDomainName: auth.user_domain_name ?? 'Default',
    projectDomainName: auth.project_domain_name ?? 'Default',
    regionName: clouds[name].region_name,
    source: `${path} (cloud ${name})`,
  };
}

export interface KeystoneToken {
  readonly token: string;
  readonly expiresAt: number;
  /** Public compute endpoint from the catalog. */
  readonly computeUrl: string;
  /** Public Cinder v3 endpoint (`volumev3` or `block-storage`), when the catalog has one. */
  readonly volumeUrl?: string;
  /** Public Glance endpoint (`image`), when the catalog has one. */
  readonly imageUrl?: string;
}

/**
 * An HTTP answer that was not a success. The body is cut short; it never contains our secrets.
 * `exitCode` is 2 when the user can fix it (credentials Keystone refuses, a catalog without the
 * endpoint, a cloud too old for the microversion); undefined for faults of the cloud or of this code.
 */
export class OpenStackHttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
    readonly exitCode?: 2,
  ) {
    super(`${method} ${url}: HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'OpenStackHttpError';
  }
}

/** POST /v3/auth/tokens (password method, project scope); the token comes back in X-Subject-Token. */
export async function keystoneLogin(c: OpenStackCredentials, timeoutMs = 10_000): Promise<KeystoneToken> {
  const base = c.authUrl.replace(/\/+$/, '');
  const url = `${base.endsWith('/v3') ? base : `${base}/v3`}/auth/tokens`;
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } } },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    },
  };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status === 401 || res.status === 403) {
    throw new OpenStackHttpError(
      'POST',
      url,
      res.status,
      `Keystone refused the credentials from ${c.source} (user ${JSON.stringify(c.username)}, project ${JSON.stringify(c.projectName)}, ` +
        `domains ${JSON.stringify(c.userDomainName)}/${JSON.stringify(c.projectDomainName)}); allowed: a user, password and project this cloud accepts; ` +
        'fix the password or names in clouds.yaml or the OS_* variables',
      2,
    );
  }
  if (res.status !== 201) throw new OpenStackHttpError('POST', url, res.status, await res.text());
  const token = res.headers.get('X-Subject-Token');
  if (!token) throw new OpenStackHttpError('POST', url, res.status, 'no X-Subject-Token header in the answer');
  const data = (await res.json()) as {
    token?: {
      expires_at?: string;
      catalog?: Array<{ type: string; endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }> }>;
    };
  };
  const endpoint = (types: readonly string[]) =>
    data.token?.catalog
      ?.filter((s) => types.includes(s.type))
      .flatMap((s) => s.endpoints)
      .find((e) => e.interface === 'public' && (!c.regionName || e.region === c.regionName || e.region_id === c.regionName));
  const ep = endpoint(['compute']);
  if (!ep) {
    const regions = [
      ...new Set((data.token?.catalog ?? []).filter((s) => s.type === 'compute').flatMap((s) => s.endpoints.map((e) => e.region_id ?? e.region))),
    ];
    throw new OpenStackHttpError(
      'POST',
      url,
      res.status,
      `no public compute endpoint${c.regionName ? ` in region ${c.regionName}` : ''} in the catalog; got regions ${JSON.stringify(regions)}; ` +
        `allowed: set region_name (OS_REGION_NAME) in ${c.source} to one of them`,
      2,
    );
  }
  const volume = endpoint(['volumev3', 'block-storage']);
  const image = endpoint(['image']);
  return {
    token,
    expiresAt: Date.parse(data.token?.expires_at ?? '') || Date.now() + 3600_000,
    computeUrl: ep.url.replace(/\/+$/, ''),
    ...(volume ? { volumeUrl: volume.url.replace(/\/+$/, '') } : {}),
    ...(image ? { imageUrl: image.url.replace(/\/+$/, '') } : {}),
  };
}
