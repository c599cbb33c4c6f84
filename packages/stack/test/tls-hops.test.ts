/**
 * TLS on the hops whose engines cannot run here (the collector, Jaeger, Elasticsearch, Logstash,
 * Filebeat, Kibana, Grafana), judged as data: every `tls` block the collector and Jaeger read
 * against the collector's own `configtls` schema, every TLS file a configuration names mounted
 * into the container that reads it, and each hop's client checking its server against our CA.
 * The hops whose engines run here are proven by the engines themselves (tls-engines.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COMPONENTS,
  COMPOSE_FILE,
  TLS_DIRECTORY,
  TLS_PORTS,
  renderComposeStack,
  tlsDirectoryOf,
} from '@pyairtable/stack';
import type { ComponentName } from '@pyairtable/stack';
import { FULL_ENV } from './render-fixture.js';
import { expectConfigTls } from './configtls.js';

const render = renderComposeStack({ profile: 'production', env: FULL_ENV });
const file = (path: string): string => {
  const found = render.files.find((candidate) => candidate.path === path);
  if (found === undefined) throw new Error(`the render has no ${path}`);
  return found.content;
};
const yaml = (path: string): unknown => parse(file(path));
/** The value at a path of keys in a parsed document. */
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
const collector = yaml('otel-collector/config.yaml');
const jaeger = yaml('jaeger/config.yaml');
const jaegerElasticsearch = at(
  Object.values(at(jaeger, 'extensions', 'jaeger_storage', 'backends') as object)[0],
  'elasticsearch',
);
const compose = parse(file(COMPOSE_FILE)) as {
  services: Record<string, { secrets?: { target: string }[]; environment?: Record<string, string> }>;
};

const TLS_FILE_PATTERN = /\/(?:etc\/pyairtable|usr\/share\/elasticsearch\/config)\/tls\/[\w./-]+/g;
const namedFiles = (text: string): string[] => [...new Set(text.match(TLS_FILE_PATTERN) ?? [])];

describe('TLS on the hops judged as data (production)', () => {
  it("gives every tls block of the collector and Jaeger only what the collector's configtls schema defines", () => {
    const servers: [string, unknown][] = [
      ['collector otlp grpc', at(collector, 'receivers', 'otlp', 'protocols', 'grpc', 'tls')],
      ['collector otlp http', at(collector, 'receivers', 'otlp', 'protocols', 'http', 'tls')],
      ['collector prometheus exporter', at(collector, 'exporters', 'prometheus', 'tls')],
      ['jaeger otlp grpc', at(jaeger, 'receivers', 'otlp', 'protocols', 'grpc', 'tls')],
      ['jaeger otlp http', at(jaeger, 'receivers', 'otlp', 'protocols', 'http', 'tls')],
      ['jaeger query http', at(jaeger, 'extensions', 'jaeger_query', 'http', 'tls')],
      ['jaeger query grpc', at(jaeger, 'extensions', 'jaeger_query', 'grpc', 'tls')],
    ];
    const clients: [string, unknown][] = [
      ['collector → jaeger', at(collector, 'exporters', 'otlp_grpc/jaeger', 'tls')],
      ['jaeger → elasticsearch', at(jaegerElasticsearch, 'tls')],
    ];
    for (const [where, tls] of servers) {
      expect(tls, where).toBeDefined();
      expectConfigTls(tls, 'server_config', where);
    }
    for (const [where, tls] of clients) {
      expect(tls, where).toBeDefined();
      expectConfigTls(tls, 'client_config', where);
    }
    // The check itself refuses a key the schema does not define.
    expect(() => {
      expectConfigTls({ cert: 'x' }, 'server_config', 'planted');
    }).toThrow();
  });

  it('requires a client certificate of our CA where only the stack calls, not where people or services do', () => {
    const ca = `${TLS_DIRECTORY}/ca.crt`;
    expect(at(jaeger, 'receivers', 'otlp', 'protocols', 'grpc', 'tls', 'client_ca_file')).toBe(ca);
    expect(at(collector, 'exporters', 'prometheus', 'tls', 'client_ca_file')).toBe(ca);
    expect(at(collector, 'exporters', 'otlp_grpc/jaeger', 'tls')).toEqual({
      ca_file: ca,
      cert_file: `${TLS_DIRECTORY}/otel-collector.crt`,
      key_file: `${TLS_DIRECTORY}/otel-collector.key`,
    });
    // Services send OTLP with only the CA; browsers open Jaeger's UI.
    expect(at(collector, 'receivers', 'otlp', 'protocols', 'http', 'tls')).not.toHaveProperty(
      'client_ca_file',
    );
    expect(at(jaeger, 'extensions', 'jaeger_query', 'http', 'tls')).not.toHaveProperty('client_ca_file');
    const pipeline = file('logstash/pipeline/pyairtable-logs.conf');
    expect(pipeline).toContain('ssl_client_authentication => "required"');
    expect(at(yaml('filebeat/filebeat.yml'), 'output.logstash')).toMatchObject({
      'ssl.enabled': true,
      'ssl.certificate': `${TLS_DIRECTORY}/filebeat.crt`,
      'ssl.key': `${TLS_DIRECTORY}/filebeat.key`,
    });
  });

  it("checks every server against our CA on each hop's client side", () => {
    const output = file('logstash/pipeline/pyairtable-logs.conf').split('output {')[1] ?? '';
    expect(output).toContain(`hosts => ["https://elasticsearch:${String(COMPONENTS.elasticsearch.port)}"]`);
    expect(output).toContain(`ssl_certificate_authorities => "${TLS_DIRECTORY}/ca.crt"`);
    const datasources = at(yaml('grafana/provisioning/datasources/pyairtable.yaml'), 'datasources') as {
      name: string;
      url: string;
      jsonData: Record<string, unknown>;
      secureJsonData?: Record<string, string>;
    }[];
    for (const datasource of datasources) {
      expect(datasource.url, datasource.name).toMatch(/^https:\/\//);
      expect(datasource.jsonData['tlsAuthWithCACert'], datasource.name).toBe(true);
      expect(datasource.secureJsonData?.['tlsCACert'], datasource.name).toBe(
        `$__file{${TLS_DIRECTORY}/ca.crt}`,
      );
    }
    expect(file('elastic-setup/setup.sh')).toContain(`ES_URL=\${ES_URL:-https://elasticsearch:`);
  });

  it('mounts every TLS file a configuration names into the container that reads it', () => {
    const readers: [string, string][] = [
      ['otel-collector', file('otel-collector/config.yaml')],
      ['jaeger', file('jaeger/config.yaml')],
      ['logstash', file('logstash/pipeline/pyairtable-logs.conf')],
      ['filebeat', file('filebeat/filebeat.yml')],
      ['prometheus', file('prometheus/prometheus.yml')],
      ['grafana', file('grafana/provisioning/datasources/pyairtable.yaml')],
      ...Object.entries(compose.services).map(([name, service]): [string, string] => [
        name,
        // What it is told to read, not where its files are mounted.
        JSON.stringify({ ...service, secrets: [] }),
      ]),
    ];
    let checked = 0;
    for (const [service, text] of readers) {
      const mounted = new Set((compose.services[service]?.secrets ?? []).map((secret) => secret.target));
      for (const path of namedFiles(text).filter((name) => !name.endsWith('/'))) {
        // A service's own mount targets name themselves; what it reads must be among them.
        expect(mounted.has(path), `${service} reads ${path}`).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('says which ports speak TLS, and the component directory each reads its files from', () => {
    const plain: ComponentName[] = ['cadvisor', 'filebeat'];
    for (const component of plain) expect(TLS_PORTS[component], component).toBeUndefined();
    expect(TLS_PORTS.jaeger).toContain(COMPONENTS.jaeger.port);
    expect(tlsDirectoryOf('logstash')).toBe(TLS_DIRECTORY);
  });
});
