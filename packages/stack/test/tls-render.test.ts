/**
 * TLS in the Compose render: staging and production refuse to render without the TLS files
 * unless told not to, development has TLS only when asked, and a TLS render mounts each
 * component's files and turns its listener to TLS, with a prometheus.yml promtool accepts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES, engineAvailable, runEngine, tempDir } from '@pyairtable/test-support';
import {
  COMPOSE_FILE,
  SecretsError,
  TLS_COMPONENT_FILES,
  COMPONENTS,
  TLS_DIRECTORY,
  UI_PASSWORDS,
  renderComposeStack,
  tlsDirectoryOf,
  tlsVariable,
} from '@pyairtable/stack';
import type { ComponentName } from '@pyairtable/stack';
import { tlsMaterial } from '@pyairtable/stack/tls';
import { FULL_ENV, TLS_VALUES } from './render-fixture.js';

type Service = {
  command?: string[];
  environment?: Record<string, string>;
  secrets?: { source: string; target: string; mode: string }[];
  healthcheck?: { test: string[] };
};
const withoutTls = Object.fromEntries(
  Object.entries(FULL_ENV).filter(([variable]) => !(variable in TLS_VALUES)),
);
const composeOf = (
  files: readonly { path: string; content: string }[],
): { services: Record<string, Service>; secrets?: Record<string, unknown> } =>
  parse(files.find((file) => file.path === COMPOSE_FILE)?.content ?? '') as never;

describe('TLS in the Compose render', () => {
  it.each(['staging', 'production'] as const)(
    '%s refuses to render without the TLS files, naming them and the way out',
    (profile) => {
      const render = (): unknown => renderComposeStack({ profile, env: withoutTls });
      expect(render).toThrow(SecretsError);
      expect(render).toThrow(
        new RegExp(`${tlsVariable('ca.crt')}.*obs certs --out <dir>.*--insecure-no-tls`, 's'),
      );
    },
  );

  it('names exactly the TLS files missing when some are given', () => {
    const allButOne = Object.fromEntries(
      Object.entries(FULL_ENV).filter(([variable]) => variable !== tlsVariable('jaeger.key')),
    );
    const render = (): unknown => renderComposeStack({ profile: 'production', env: allButOne });
    expect(render).toThrow(/1 of its TLS files is not given: PYAIRTABLE_TLS_JAEGER_KEY\./);
  });

  it('renders without TLS when told to, and says so', () => {
    const render = renderComposeStack({ profile: 'production', env: withoutTls, insecureNoTls: true });
    expect(render.warnings[0]).toMatch(/^TLS is off \(--insecure-no-tls\)/);
    expect(
      Object.keys(composeOf(render.files).secrets ?? {}).filter((name) => name.startsWith('tls_')),
    ).toEqual([]);
    expect(render.files.find((file) => file.path === 'prometheus/prometheus.yml')?.content).not.toContain(
      'https',
    );
  });

  it('keeps development plain unless TLS is asked for', () => {
    expect(renderComposeStack({ profile: 'development', env: FULL_ENV }).model.tls).toBe(false);
    expect(renderComposeStack({ profile: 'development', env: FULL_ENV, tls: true }).model.tls).toBe(true);
  });

  it('mounts each component its certificate, key and CA, its key readable by it alone', () => {
    const compose = composeOf(renderComposeStack({ profile: 'production', env: FULL_ENV }).files);
    for (const [component, files] of Object.entries(TLS_COMPONENT_FILES)) {
      const directory = tlsDirectoryOf(component as ComponentName);
      const mounted = Object.fromEntries(
        (compose.services[component]?.secrets ?? []).map((secret) => [secret.target, secret.mode]),
      );
      for (const file of files) expect(mounted, component).toHaveProperty([`${directory}/${file}`]);
      expect(mounted[`${directory}/${component}.key`], `${component}'s key`).toBe('0400');
      expect(mounted[`${directory}/ca.crt`], `${component}'s CA`).toBe('0444');
    }
    // Elasticsearch reads TLS files only under its config directory.
    expect(tlsDirectoryOf('elasticsearch')).toBe('/usr/share/elasticsearch/config/tls');
  });

  it('turns every listener with a TLS option to TLS, and probes it over TLS', () => {
    const compose = composeOf(renderComposeStack({ profile: 'production', env: FULL_ENV }).files);
    const service = (name: string): Service => compose.services[name] ?? {};
    for (const component of ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter']) {
      expect(service(component).command?.join(' '), component).toMatch(/--web\.config\.file=/);
      expect(service(component).healthcheck?.test.join(' '), component).toContain('grep -q 400');
    }
    expect(service('redis-exporter').command?.join(' ')).toMatch(/-tls-server-cert-file=/);
    expect(service('grafana').environment).toMatchObject({
      GF_SERVER_PROTOCOL: 'https',
      GF_SERVER_CERT_FILE: `${TLS_DIRECTORY}/grafana.crt`,
      GF_SERVER_CERT_KEY: `${TLS_DIRECTORY}/grafana.key`,
      GF_SERVER_ROOT_URL: 'https://localhost:3001',
    });
    expect(service('kibana').environment).toMatchObject({
      ELASTICSEARCH_HOSTS: '["https://elasticsearch:9200"]',
      SERVER_SSL_ENABLED: 'true',
      ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES: `${TLS_DIRECTORY}/ca.crt`,
    });
    const elasticsearch = service('elasticsearch').environment ?? {};
    for (const layer of ['http', 'transport'])
      expect(elasticsearch, layer).toMatchObject({
        [`xpack.security.${layer}.ssl.enabled`]: 'true',
        [`xpack.security.${layer}.ssl.certificate`]: '/usr/share/elasticsearch/config/tls/elasticsearch.crt',
        [`xpack.security.${layer}.ssl.key`]: '/usr/share/elasticsearch/config/tls/elasticsearch.key',
      });
    for (const [component, path] of [
      ['grafana', `https://localhost:${String(COMPONENTS.grafana.port)}/api/health`],
      ['kibana', `https://localhost:${String(COMPONENTS.kibana.port)}/api/status`],
      ['elasticsearch', `https://localhost:${String(COMPONENTS.elasticsearch.port)}`],
    ] as const) {
      const test = service(component).healthcheck?.test.join(' ') ?? '';
      expect(test, component).toContain(`--cacert ${tlsDirectoryOf(component)}/ca.crt ${path}`);
    }
    for (const job of ['elastic-setup', 'kibana-setup', 'trace-retention'])
      expect(service(job).environment, job).toMatchObject({ CURL_CA_BUNDLE: `${TLS_DIRECTORY}/ca.crt` });
  });

  it.runIf(engineAvailable(ENGINES.promtool))(
    'renders a prometheus.yml that promtool accepts with the real TLS files',
    async () => {
      const dir = tempDir('tls-render');
      try {
        const material = await tlsMaterial({
          existing: {},
          env: { [UI_PASSWORDS.prometheus.variable]: 'a-Password-1' },
          namespace: 'observability',
          validDays: 2,
          renewWithinDays: 1,
        });
        for (const file of material) {
          const path = join(dir.path, 'tls', file.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, file.content);
        }
        const render = renderComposeStack({ profile: 'production', env: FULL_ENV });
        for (const path of ['prometheus/prometheus.yml', 'prometheus/rules/pyairtable.yml']) {
          const target = join(dir.path, path);
          mkdirSync(dirname(target), { recursive: true });
          const content = render.files.find((file) => file.path === path)?.content ?? '';
          writeFileSync(
            target,
            content
              .replaceAll(TLS_DIRECTORY, join(dir.path, 'tls'))
              .replace('/etc/prometheus/rules/*.yml', join(dir.path, 'prometheus/rules/*.yml')),
          );
        }
        const result = runEngine(ENGINES.promtool, [
          'check',
          'config',
          join(dir.path, 'prometheus/prometheus.yml'),
        ]);
        expect(result.stdout + result.stderr).toContain('SUCCESS');
        expect(result.status).toBe(0);
      } finally {
        dir.cleanup();
      }
    },
  );
});
