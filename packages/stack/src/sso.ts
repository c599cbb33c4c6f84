/**
 * Single sign-on for Grafana, decided from the environment at render time: GitHub (limited to
 * organisations, the specification's example) or a generic OpenID Connect provider (limited to
 * groups). People are Viewers unless a group of theirs maps to Editor or Admin. The client
 * secret reaches Grafana as a secret file, never through a rendered file. Production refuses to
 * render without single sign-on unless told otherwise (`--no-sso`).
 */
import type { Environment } from '@pyairtable/conventions';
import { SecretsError } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

export const SSO_VARIABLES = {
  provider: 'GRAFANA_SSO_PROVIDER',
  clientId: 'GRAFANA_SSO_CLIENT_ID',
  clientSecret: 'GRAFANA_SSO_CLIENT_SECRET',
  /** GitHub: organisations whose members may sign in (comma-separated). */
  allowedOrganizations: 'GRAFANA_SSO_ALLOWED_ORGANIZATIONS',
  /** OIDC: groups whose members may sign in (comma-separated). */
  allowedGroups: 'GRAFANA_SSO_ALLOWED_GROUPS',
  /** Group (GitHub: `@org/team`) whose members are Grafana Admins, and one for Editors. */
  adminGroup: 'GRAFANA_SSO_ADMIN_GROUP',
  editorGroup: 'GRAFANA_SSO_EDITOR_GROUP',
  /** OIDC endpoints. */
  authUrl: 'GRAFANA_SSO_AUTH_URL',
  tokenUrl: 'GRAFANA_SSO_TOKEN_URL',
  apiUrl: 'GRAFANA_SSO_API_URL',
} as const;

export const SSO_PROVIDERS = ['github', 'oidc'] as const;
export type SsoProvider = (typeof SSO_PROVIDERS)[number];
/** The Compose secret the client secret is mounted as. */
export const SSO_CLIENT_SECRET = 'grafana_sso_client_secret';

export interface SsoSettings {
  readonly provider: SsoProvider;
  readonly clientId: string;
  readonly allowed: readonly string[];
  readonly adminGroup?: string;
  readonly editorGroup?: string;
  readonly endpoints?: { readonly auth: string; readonly token: string; readonly api: string };
}

export interface SsoResolution {
  readonly settings?: SsoSettings;
  readonly problems: readonly string[];
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const HTTPS_URL = /^https:\/\/[^\s/]+/;

/** Reads the SSO settings; every problem is named, with the variable that fixes it. */
export function resolveSso(env: Env): SsoResolution {
  const provider = env[SSO_VARIABLES.provider];
  if (provider === undefined || provider === '') return { problems: [] };
  const problems: string[] = [];
  if (!(SSO_PROVIDERS as readonly string[]).includes(provider))
    return {
      problems: [`${SSO_VARIABLES.provider}="${provider}" is not one of ${SSO_PROVIDERS.join(', ')}.`],
    };
  const need = (variable: string): string => {
    const value = env[variable] ?? '';
    if (value === '') problems.push(`${variable} is not set: ${provider} sign-in needs it.`);
    return value;
  };
  const clientId = need(SSO_VARIABLES.clientId);
  need(SSO_VARIABLES.clientSecret);
  const allowedVariable =
    provider === 'github' ? SSO_VARIABLES.allowedOrganizations : SSO_VARIABLES.allowedGroups;
  const allowed = list(env[allowedVariable]);
  if (allowed.length === 0)
    problems.push(
      `${allowedVariable} is not set: without it anyone with a ${provider} account could sign in.`,
    );
  let endpoints: SsoSettings['endpoints'];
  if (provider === 'oidc') {
    const [auth, token, api] = [SSO_VARIABLES.authUrl, SSO_VARIABLES.tokenUrl, SSO_VARIABLES.apiUrl].map(
      (variable) => {
        const value = need(variable);
        if (value !== '' && !HTTPS_URL.test(value))
          problems.push(`${variable}="${value}" is not an https URL.`);
        return value;
      },
    );
    endpoints = { auth: auth ?? '', token: token ?? '', api: api ?? '' };
  }
  if (problems.length > 0) return { problems };
  const adminGroup = env[SSO_VARIABLES.adminGroup];
  const editorGroup = env[SSO_VARIABLES.editorGroup];
  return {
    problems,
    settings: {
      provider,
      clientId,
      allowed,
      ...(adminGroup === undefined || adminGroup === '' ? {} : { adminGroup }),
      ...(editorGroup === undefined || editorGroup === '' ? {} : { editorGroup }),
      ...(endpoints === undefined ? {} : { endpoints }),
    },
  } as SsoResolution;
}

/** Grafana's JMESPath from groups to role: Admin, then Editor, else Viewer. */
export function roleAttributePath(settings: SsoSettings): string {
  const quote = (value: string): string => `'${value.replace(/'/g, "\\'")}'`;
  const rules = [
    ...(settings.adminGroup === undefined
      ? []
      : [`contains(groups[*], ${quote(settings.adminGroup)}) && 'Admin'`]),
    ...(settings.editorGroup === undefined
      ? []
      : [`contains(groups[*], ${quote(settings.editorGroup)}) && 'Editor'`]),
    "'Viewer'",
  ];
  return rules.join(' || ');
}

/** Grafana's settings as its environment (`GF_<SECTION>_<KEY>`), the secret as a file. */
export function grafanaSsoEnvironment(settings: SsoSettings, secretFile: string): Record<string, string> {
  const section = settings.provider === 'github' ? 'GF_AUTH_GITHUB' : 'GF_AUTH_GENERIC_OAUTH';
  return {
    [`${section}_ENABLED`]: 'true',
    [`${section}_CLIENT_ID`]: settings.clientId,
    [`${section}_CLIENT_SECRET__FILE`]: secretFile,
    [`${section}_SCOPES`]:
      settings.provider === 'github' ? 'user:email,read:org' : 'openid email profile groups',
    [`${section}_ALLOW_SIGN_UP`]: 'true',
    [`${section}_ROLE_ATTRIBUTE_PATH`]: roleAttributePath(settings),
    // An unknown role is refused rather than defaulted.
    [`${section}_ROLE_ATTRIBUTE_STRICT`]: 'true',
    ...(settings.provider === 'github'
      ? { [`${section}_ALLOWED_ORGANIZATIONS`]: settings.allowed.join(',') }
      : {
          GF_AUTH_GENERIC_OAUTH_NAME: 'Single sign-on',
          GF_AUTH_GENERIC_OAUTH_ALLOWED_GROUPS: settings.allowed.join(','),
          GF_AUTH_GENERIC_OAUTH_GROUPS_ATTRIBUTE_PATH: 'groups',
          GF_AUTH_GENERIC_OAUTH_AUTH_URL: settings.endpoints?.auth ?? '',
          GF_AUTH_GENERIC_OAUTH_TOKEN_URL: settings.endpoints?.token ?? '',
          GF_AUTH_GENERIC_OAUTH_API_URL: settings.endpoints?.api ?? '',
          GF_AUTH_GENERIC_OAUTH_USE_PKCE: 'true',
        }),
    // With single sign-on, people sign in through it; the admin login stays for break-glass.
    GF_AUTH_OAUTH_AUTO_LOGIN: 'false',
  };
}

/**
 * Production signs people in to Grafana through single sign-on, unless told otherwise (`noSso`,
 * which becomes a warning). Settings given in any profile are used; bad ones are refused.
 */
export function decideSso(
  profile: Environment,
  env: Env,
  noSso: boolean,
): { readonly settings?: SsoSettings; readonly warnings: readonly string[] } {
  const resolution = resolveSso(env);
  if (resolution.problems.length > 0) throw new SecretsError(resolution.problems);
  if (resolution.settings !== undefined) return { settings: resolution.settings, warnings: [] };
  if (profile !== 'production') return { warnings: [] };
  if (noSso)
    return {
      warnings: [
        'single sign-on is off (--no-sso): people sign in to production Grafana with its admin password.',
      ],
    };
  throw new SecretsError([
    `production signs people in to Grafana through single sign-on, and ${SSO_VARIABLES.provider} is not set. ` +
      `Set it to github (with ${SSO_VARIABLES.clientId}, ${SSO_VARIABLES.clientSecret} and ${SSO_VARIABLES.allowedOrganizations}) ` +
      `or oidc (with ${SSO_VARIABLES.clientId}, ${SSO_VARIABLES.clientSecret}, ${SSO_VARIABLES.allowedGroups}, ${SSO_VARIABLES.authUrl}, ${SSO_VARIABLES.tokenUrl} and ${SSO_VARIABLES.apiUrl}); ` +
      'to render without it, say so: --no-sso.',
  ]);
}
