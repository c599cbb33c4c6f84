/**
 * Renders of every profile with a known environment, written to temporary directories once per
 * test file. Every secret value is distinctive, so a test can prove none of them is in a file.
 */
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import type { Environment } from '@pyairtable/conventions';
import { ENVIRONMENTS } from '@pyairtable/conventions';
import { tempDir } from '@pyairtable/test-support';
import type { StackRender } from '@pyairtable/stack';
import {
  CHANNEL_VARIABLES as V,
  COMPOSE_FILE,
  STACK_SECRETS,
  TLS_COMPONENT_FILES,
  renderComposeStack,
  tlsVariable,
  writeRenderedFiles,
} from '@pyairtable/stack';

/** Every TLS file a render may mount, as its variable with a distinctive stand-in content. */
export const TLS_VALUES: Readonly<Record<string, string>> = Object.fromEntries(
  [...new Set(Object.values(TLS_COMPONENT_FILES).flat())].map((file) => [
    tlsVariable(file),
    `tls-Secret-${file.replace(/[^a-z0-9]/g, '')}-6b2e`,
  ]),
);

export const SECRET_VALUES = {
  ...TLS_VALUES,
  GRAFANA_SSO_CLIENT_SECRET: 'sso-Secret-3f9d1c',
  [STACK_SECRETS.grafanaAdminPassword.variable]: 'grafana-Secret-7c1f2a',
  [STACK_SECRETS.elasticPassword.variable]: 'elastic-Secret-93be41',
  [STACK_SECRETS.kibanaSystemPassword.variable]: 'kibana-Secret-5d20ce',
  [STACK_SECRETS.logstashElasticPassword.variable]: 'logstash-Secret-11aa7e',
  [STACK_SECRETS.jaegerElasticPassword.variable]: 'jaeger-Secret-4c0de2',
  [STACK_SECRETS.grafanaElasticPassword.variable]: 'grafana-es-Secret-7f3b90',
  [V.slackWebhookUrl]: 'https://hooks.slack.com/services/T0SECRET/B0SECRET/slackSecret81',
  [V.pagerdutyServiceKey]: 'pagerduty-Secret-0a77',
  [V.smtpPassword]: 'smtp-Secret-44e1',
};

/** Production's single sign-on: GitHub, one organisation, an admin team. */
export const SSO_ENV = {
  GRAFANA_SSO_PROVIDER: 'github',
  GRAFANA_SSO_CLIENT_ID: 'Iv1.example-client-id',
  GRAFANA_SSO_ALLOWED_ORGANIZATIONS: 'pyairtable',
  GRAFANA_SSO_ADMIN_GROUP: '@pyairtable/sre',
};

export const CHANNEL_ENV = {
  [V.criticalEmail]: 'critical@example.com',
  [V.oncallEmail]: 'oncall@example.com',
  [V.securityEmail]: 'security@example.com',
  [V.finopsEmail]: 'finops@example.com',
  [V.smtpSmarthost]: 'smtp.example.com:587',
  [V.smtpFrom]: 'alertmanager@example.com',
  [V.smtpUsername]: 'alertmanager',
};

export const FULL_ENV = { ...SECRET_VALUES, ...CHANNEL_ENV, ...SSO_ENV };

export interface WrittenRender {
  readonly render: StackRender;
  readonly dir: string;
  readonly compose: ComposeFile;
  readonly file: (path: string) => string;
}

export interface ComposeService {
  image: string;
  networks: string[];
  restart?: string;
  ports?: string[];
  volumes?: string[];
  secrets?: { source: string; target?: string; uid: string; gid: string; mode: string }[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { resources?: { limits?: { memory?: string; cpus?: string }; reservations?: object } };
  command?: string[];
  user?: string;
}
export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { name?: string; internal?: boolean; external?: boolean }>;
  volumes: Record<string, object>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

export function writeRender(profile: Environment, env: Record<string, string> = FULL_ENV): WrittenRender {
  const render = renderComposeStack({ profile, env });
  const dir = tempDir(`stack-${profile}`);
  cleanups.push(dir.cleanup);
  writeRenderedFiles(dir.path, render.files);
  const file = (path: string): string => {
    const found = render.files.find((candidate) => candidate.path === path);
    if (found === undefined) throw new Error(`the render has no ${path}`);
    return found.content;
  };
  return { render, dir: dir.path, compose: parse(file(COMPOSE_FILE)) as ComposeFile, file };
}

export const RENDERS: Readonly<Record<Environment, WrittenRender>> = Object.fromEntries(
  ENVIRONMENTS.map((profile) => [profile, writeRender(profile)]),
) as Record<Environment, WrittenRender>;
