import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LOG_FIELDS, TRACES_RETENTION } from '@pyairtable/conventions';
import { DASHBOARD_FOLDERS, DATASOURCE_UIDS } from '@pyairtable/dashboards';
import { COMPONENTS, LOG_INDEX_PREFIX, STACK_SECRETS, secretPath } from '@pyairtable/stack';
import { RENDERS } from './render-fixture.js';

interface JaegerConfig {
  service: { extensions: string[]; pipelines: { traces: { receivers: string[]; exporters: string[] } } };
  extensions: {
    jaeger_storage: { backends: Record<string, Record<string, Record<string, unknown>>> };
    jaeger_query: { storage: { traces: string }; http: { endpoint: string } };
    healthcheckv2: { use_v2: boolean; http: { endpoint: string } };
  };
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  exporters: { jaeger_storage_exporter: { trace_storage: string } };
}
const jaegerOf = (profile: keyof typeof RENDERS): JaegerConfig =>
  parse(RENDERS[profile].file('jaeger/config.yaml')) as JaegerConfig;

const SEVEN_DAYS = `${String(TRACES_RETENTION.deleteAfterDays * 24)}h`;

describe('Jaeger v2', () => {
  it('stores production traces in Elasticsearch, searchable for 7 days, password from the secret file', () => {
    const config = jaegerOf('production');
    const backend = config.extensions.jaeger_storage.backends[config.extensions.jaeger_query.storage.traces];
    const elasticsearch = backend?.['elasticsearch'];
    expect(elasticsearch).toMatchObject({
      server_urls: [`https://elasticsearch:${String(COMPONENTS.elasticsearch.port)}`],
      tls: { insecure: false, ca_file: '/etc/pyairtable/tls/ca.crt' },
      max_span_age: SEVEN_DAYS,
      // Its own user, whose role covers only its indices; never the superuser.
      auth: {
        basic: {
          username: ELASTIC_SERVICE_USERS.jaeger.username,
          password_file: secretPath(STACK_SECRETS.jaegerElasticPassword),
        },
      },
    });
    // Retention is ILM's job (setup job), not Jaeger's retired alias options, which 2.20 rejects.
    const text = RENDERS.production.file('jaeger/config.yaml');
    for (const retired of ['use_ilm', 'use_aliases', 'span_read_alias']) expect(text).not.toContain(retired);
    expect(config.exporters.jaeger_storage_exporter.trace_storage).toBe(
      config.extensions.jaeger_query.storage.traces,
    );
  });

  it('keeps development traces in Badger on a volume, expiring after 7 days', () => {
    const config = jaegerOf('development');
    const backend = Object.values(config.extensions.jaeger_storage.backends)[0];
    expect(backend?.['badger']).toMatchObject({ ephemeral: false, ttl: { spans: SEVEN_DAYS } });
    const jaeger = RENDERS.development.compose.services['jaeger'];
    expect(jaeger?.volumes?.some((volume) => volume.startsWith('jaeger-badger:'))).toBe(true);
  });

  it('listens on every interface inside its container (its defaults are localhost)', () => {
    const config = jaegerOf('staging');
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(config.extensions.jaeger_query.http.endpoint).toBe(`0.0.0.0:${String(COMPONENTS.jaeger.port)}`);
    expect(config.service.extensions).toEqual(['jaeger_storage', 'jaeger_query', 'healthcheckv2']);
    // The collector's OTLP exporter reaches the receiver Jaeger listens on.
    const collector = parse(RENDERS.staging.file('otel-collector/config.yaml')) as {
      exporters: Record<string, { endpoint?: string }>;
    };
    expect(collector.exporters['otlp_grpc/jaeger']?.endpoint).toBe('jaeger:4317');
  });
});

import { ELASTIC_SERVICE_USERS, UI_USER } from '@pyairtable/stack';

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

describe('Grafana provisioning', () => {
  const { file, compose } = RENDERS.production;
  const datasources = (
    parse(file('grafana/provisioning/datasources/pyairtable.yaml')) as { datasources: Datasource[] }
  ).datasources;
  const byType = (type: string): Datasource => {
    const found = datasources.find((datasource) => datasource.type === type);
    if (found === undefined) throw new Error(`no ${type} datasource`);
    return found;
  };

  it('provisions Prometheus, Jaeger, the logs and Alertmanager under fixed UIDs', () => {
    expect(datasources.map((datasource) => datasource.uid).sort()).toEqual(
      Object.values(DATASOURCE_UIDS).sort(),
    );
    expect(byType('alertmanager').jsonData).toMatchObject({ implementation: 'prometheus' });
  });

  it("reaches Prometheus and Alertmanager over TLS with our CA and the UIs' admin login", () => {
    const grafanaMounts = (compose.services['grafana']?.secrets ?? []).map((secret) => secret.target);
    for (const type of ['prometheus', 'alertmanager']) {
      const datasource = byType(type) as Datasource & { basicAuth?: boolean; basicAuthUser?: string };
      expect(datasource.url).toBe(`https://${type}:${type === 'prometheus' ? '9090' : '9093'}`);
      expect(datasource).toMatchObject({ basicAuth: true, basicAuthUser: UI_USER });
      expect(datasource.jsonData['tlsAuthWithCACert']).toBe(true);
      for (const value of Object.values(datasource.secureJsonData ?? {})) {
        const path = /^\$__file\{(.+)\}$/.exec(value)?.[1];
        expect(grafanaMounts, `${type}: ${value}`).toContain(path);
      }
    }
  });

  it('reads logs from the data streams Logstash writes, with the contract’s level and time fields', () => {
    expect(byType('elasticsearch').jsonData).toMatchObject({
      index: `${LOG_INDEX_PREFIX}*`,
      timeField: LOG_FIELDS.timestamp,
      logLevelField: LOG_FIELDS.level,
      logMessageField: LOG_FIELDS.message,
    });
    // Its own read-only user, never the superuser.
    expect(byType('elasticsearch')).toMatchObject({ basicAuthUser: ELASTIC_SERVICE_USERS.grafana.username });
    expect(byType('elasticsearch').secureJsonData?.['basicAuthPassword']).toBe(
      `$__file{${secretPath(STACK_SECRETS.grafanaElasticPassword)}}`,
    );
  });

  it('links a trace to its logs on the contract’s trace id field, and a log back to its trace', () => {
    const tracesToLogs = byType('jaeger').jsonData['tracesToLogsV2'] as Record<string, unknown>;
    expect(tracesToLogs).toMatchObject({ datasourceUid: DATASOURCE_UIDS.logs, customQuery: true });
    // `$$` is Grafana provisioning's literal dollar.
    expect(tracesToLogs['query']).toBe(`${LOG_FIELDS.traceId}:"$\${__trace.traceId}"`);
    const links = byType('elasticsearch').jsonData['dataLinks'] as { field: string; datasourceUid: string }[];
    expect(links).toEqual([
      expect.objectContaining({ field: LOG_FIELDS.traceId, datasourceUid: DATASOURCE_UIDS.jaeger }),
    ]);
  });

  it('has a provider and dashboards for each of the platform, infrastructure and cost folders', () => {
    const providers = (
      parse(file('grafana/provisioning/dashboards/pyairtable.yaml')) as {
        providers: { folder: string; folderUid: string; options: { path: string } }[];
      }
    ).providers;
    expect(providers.map((provider) => provider.folderUid)).toEqual(
      Object.values(DASHBOARD_FOLDERS).map((folder) => folder.uid),
    );
    const dashboardsMount = compose.services['grafana']?.volumes?.find((volume) =>
      volume.startsWith('./grafana/dashboards'),
    );
    const target = dashboardsMount?.split(':')[1] ?? '';
    for (const [folder] of Object.entries(DASHBOARD_FOLDERS)) {
      const provider = providers.find((candidate) => candidate.options.path === `${target}/${folder}`);
      expect(provider, folder).toBeDefined();
      const dashboards = RENDERS.production.render.files.filter((rendered) =>
        rendered.path.startsWith(`grafana/dashboards/${folder}/`),
      );
      expect(dashboards.length, folder).toBeGreaterThanOrEqual(2);
    }
  });

  it('takes the admin password from a secret file and never allows sign-up or anonymous access', () => {
    expect(compose.services['grafana']?.environment).toMatchObject({
      GF_SECURITY_ADMIN_PASSWORD__FILE: secretPath(STACK_SECRETS.grafanaAdminPassword),
      GF_USERS_ALLOW_SIGN_UP: 'false',
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
    });
  });
});
