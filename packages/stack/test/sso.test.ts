/**
 * Single sign-on for Grafana: production refuses to render without it (or --no-sso), every
 * problem names its variable, Grafana gets GitHub or OIDC settings with the client secret as a
 * file, and the role mapping, evaluated by JMESPath as Grafana does, gives Admin, Editor and
 * Viewer to exactly the right people.
 */
import jmespath from 'jmespath';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COMPOSE_FILE,
  SecretsError,
  grafanaSsoEnvironment,
  renderComposeStack,
  resolveSso,
  roleAttributePath,
} from '@pyairtable/stack';
import type { SsoSettings } from '@pyairtable/stack';
import { FULL_ENV, SSO_ENV } from './render-fixture.js';

const withoutSso = Object.fromEntries(
  Object.entries(FULL_ENV).filter(([variable]) => !variable.startsWith('GRAFANA_SSO_')),
);
const role = (settings: SsoSettings, groups: string[]): unknown =>
  jmespath.search({ groups }, roleAttributePath(settings));

describe('single sign-on for Grafana', () => {
  it('is required in production, naming the variables and the way out', () => {
    const render = (): unknown => renderComposeStack({ profile: 'production', env: withoutSso });
    expect(render).toThrow(SecretsError);
    expect(render).toThrow(/GRAFANA_SSO_PROVIDER is not set.*--no-sso/s);
    const optedOut = renderComposeStack({ profile: 'production', env: withoutSso, noSso: true });
    expect(optedOut.warnings).toContain(
      'single sign-on is off (--no-sso): people sign in to production Grafana with its admin password.',
    );
    expect(() => renderComposeStack({ profile: 'staging', env: withoutSso })).not.toThrow();
  });

  it('names every problem with the settings', () => {
    expect(resolveSso({ GRAFANA_SSO_PROVIDER: 'okta' }).problems).toEqual([
      'GRAFANA_SSO_PROVIDER="okta" is not one of github, oidc.',
    ]);
    expect(resolveSso({ GRAFANA_SSO_PROVIDER: 'github' }).problems).toEqual([
      'GRAFANA_SSO_CLIENT_ID is not set: github sign-in needs it.',
      'GRAFANA_SSO_CLIENT_SECRET is not set: github sign-in needs it.',
      'GRAFANA_SSO_ALLOWED_ORGANIZATIONS is not set: without it anyone with a github account could sign in.',
    ]);
    const oidc = resolveSso({
      GRAFANA_SSO_PROVIDER: 'oidc',
      GRAFANA_SSO_CLIENT_ID: 'grafana',
      GRAFANA_SSO_CLIENT_SECRET: 'secret',
      GRAFANA_SSO_ALLOWED_GROUPS: 'observability',
      GRAFANA_SSO_AUTH_URL: 'http://idp.example/auth',
      GRAFANA_SSO_TOKEN_URL: 'https://idp.example/token',
    });
    expect(oidc.problems).toEqual([
      'GRAFANA_SSO_AUTH_URL="http://idp.example/auth" is not an https URL.',
      'GRAFANA_SSO_API_URL is not set: oidc sign-in needs it.',
    ]);
  });

  it('gives Grafana the GitHub settings, the client secret as a mounted file, anonymous access off', () => {
    const render = renderComposeStack({ profile: 'production', env: FULL_ENV });
    const compose = parse(render.files.find((file) => file.path === COMPOSE_FILE)?.content ?? '') as {
      services: Record<string, { environment: Record<string, string>; secrets: { source: string }[] }>;
      secrets: Record<string, { environment: string }>;
    };
    const grafana = compose.services['grafana'];
    expect(grafana?.environment).toMatchObject({
      GF_AUTH_GITHUB_ENABLED: 'true',
      GF_AUTH_GITHUB_CLIENT_ID: SSO_ENV.GRAFANA_SSO_CLIENT_ID,
      GF_AUTH_GITHUB_CLIENT_SECRET__FILE: '/run/secrets/grafana_sso_client_secret',
      GF_AUTH_GITHUB_ALLOWED_ORGANIZATIONS: 'pyairtable',
      GF_AUTH_GITHUB_ROLE_ATTRIBUTE_STRICT: 'true',
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
      GF_USERS_ALLOW_SIGN_UP: 'false',
    });
    expect(grafana?.secrets.map((secret) => secret.source)).toContain('grafana_sso_client_secret');
    expect(compose.secrets['grafana_sso_client_secret']).toEqual({
      environment: 'GRAFANA_SSO_CLIENT_SECRET',
    });
  });

  it('maps groups to roles as Grafana evaluates them: Admin, then Editor, else Viewer', () => {
    const settings: SsoSettings = {
      provider: 'github',
      clientId: 'x',
      allowed: ['pyairtable'],
      adminGroup: '@pyairtable/sre',
      editorGroup: "@pyairtable/o'neil",
    };
    expect(role(settings, ['@pyairtable/sre'])).toBe('Admin');
    expect(role(settings, ['@pyairtable/sre', "@pyairtable/o'neil"])).toBe('Admin');
    expect(role(settings, ["@pyairtable/o'neil"])).toBe('Editor');
    expect(role(settings, ['@pyairtable/sre-contractors'])).toBe('Viewer');
    expect(role(settings, [])).toBe('Viewer');
    const noGroups: SsoSettings = { provider: 'github', clientId: 'x', allowed: ['pyairtable'] };
    expect(role(noGroups, ['@pyairtable/sre'])).toBe('Viewer');
  });

  it('configures a generic OIDC provider limited to its groups, with PKCE', () => {
    const settings: SsoSettings = {
      provider: 'oidc',
      clientId: 'grafana',
      allowed: ['observability', 'sre'],
      endpoints: {
        auth: 'https://idp.example/auth',
        token: 'https://idp.example/token',
        api: 'https://idp.example/userinfo',
      },
    };
    expect(grafanaSsoEnvironment(settings, '/run/secrets/x')).toMatchObject({
      GF_AUTH_GENERIC_OAUTH_ENABLED: 'true',
      GF_AUTH_GENERIC_OAUTH_ALLOWED_GROUPS: 'observability,sre',
      GF_AUTH_GENERIC_OAUTH_GROUPS_ATTRIBUTE_PATH: 'groups',
      GF_AUTH_GENERIC_OAUTH_USE_PKCE: 'true',
      GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET__FILE: '/run/secrets/x',
      GF_AUTH_GENERIC_OAUTH_TOKEN_URL: 'https://idp.example/token',
    });
  });
});
