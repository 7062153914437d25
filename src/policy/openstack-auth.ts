/**
 * OpenStack credentials (clouds.yaml or OS_* variables) and a Keystone v3 password session.
 *
 * clouds.yaml is searched where openstacksdk looks: ./clouds.yaml, ~/.config/openstack/clouds.yaml,
 * /etc/openstack/clouds.yaml; the cloud is `OS_CLOUD` (or the only one in the file). Without a file,
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
  const path = file ?? cloudsYamlPaths().find((p) => existsSync(p));
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
}

/** An HTTP answer that was not a success. The body is cut short; it never contains our secrets. */
export class OpenStackHttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
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
  if (res.status !== 201) throw new OpenStackHttpError('POST', url, res.status, await res.text());
  const token = res.headers.get('X-Subject-Token');
  if (!token) throw new OpenStackHttpError('POST', url, res.status, 'no X-Subject-Token header in the answer');
  const data = (await res.json()) as {
    token?: {
      expires_at?: string;
      catalog?: Array<{ type: string; endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }> }>;
    };
  };
  const compute = data.token?.catalog?.find((s) => s.type === 'compute');
  const ep = compute?.endpoints.find((e) => e.interface === 'public' && (!c.regionName || e.region === c.regionName || e.region_id === c.regionName));
  if (!ep)
    throw new OpenStackHttpError(
      'POST',
      url,
      res.status,
      `no public compute endpoint${c.regionName ? ` in region ${c.regionName}` : ''} in the catalog`,
    );
  return { token, expiresAt: Date.parse(data.token?.expires_at ?? '') || Date.now() + 3600_000, computeUrl: ep.url.replace(/\/+$/, '') };
}
