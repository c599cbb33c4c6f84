/**
 * Jaeger v2 (a collector-style configuration). Staging and production store traces in
 * Elasticsearch in daily indices (`pyairtable-jaeger-span-YYYY-MM-DD`); the setup job's
 * trace-retention loop puts the contract's 7-day ILM policy on each, and ILM deletes it seven
 * days after it was created. Searches look back as far as that (`max_span_age`). Development
 * keeps traces in Badger on a volume with the same 7-day TTL, so the stack needs no
 * Elasticsearch work for traces on a laptop.
 */
import { RESOURCE_ATTRIBUTES, TRACES_RETENTION } from '@pyairtable/conventions';
import { COMPONENTS, JAEGER_QUERY_GRPC_PORT } from '../components.js';
import type { StackModel } from '../model.js';
import { secretPath } from '../secrets.js';
import { ELASTIC_SERVICE_USERS, JAEGER_INDEX_PREFIX } from './elastic.js';
import { otelServerTls } from '../tls/otel.js';
import { otlpReceiver } from './collector.js';
import { renderYaml } from './yaml.js';

export const JAEGER_HEALTH_PORT = 13133;
export const JAEGER_BADGER_DIR = '/var/lib/jaeger/badger';
const STORAGE = 'traces';

/** Elasticsearch in staging and production; Badger in development. */
export const jaegerUsesElasticsearch = (model: StackModel): boolean =>
  model.profile !== 'development' && model.components.includes('elasticsearch');

export function jaegerConfig(model: StackModel): object {
  const listen = (port: number): string => `0.0.0.0:${String(port)}`;
  const retention = `${String(TRACES_RETENTION.deleteAfterDays * 24)}h`;
  const index = { shards: 1, replicas: model.elasticsearchReplicas };
  // People open the UI in a browser: TLS, without client certificates.
  const queryTls = model.tls ? { tls: otelServerTls('jaeger', { requireClientCertificates: false }) } : {};
  const backend = jaegerUsesElasticsearch(model)
    ? {
        elasticsearch: {
          server_urls: [model.url('elasticsearch')],
          ...(model.elasticsearchCaFile === undefined
            ? {}
            : { tls: { insecure: false, ca_file: model.elasticsearchCaFile } }),
          // Its own user, whose role covers only its indices.
          auth: {
            basic: {
              username: ELASTIC_SERVICE_USERS.jaeger.username,
              password_file: secretPath(ELASTIC_SERVICE_USERS.jaeger.secret),
            },
          },
          max_span_age: retention,
          indices: {
            index_prefix: JAEGER_INDEX_PREFIX,
            spans: index,
            services: index,
            dependencies: index,
            sampling: index,
          },
        },
      }
    : {
        badger: {
          directories: { keys: `${JAEGER_BADGER_DIR}/keys`, values: `${JAEGER_BADGER_DIR}/values` },
          ephemeral: false,
          ttl: { spans: retention },
        },
      };
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: {
        resource: { [RESOURCE_ATTRIBUTES.serviceName]: 'jaeger' },
        metrics: {
          level: 'detailed',
          readers: [
            {
              pull: {
                exporter: { prometheus: { host: '0.0.0.0', port: COMPONENTS.jaeger.metrics?.port ?? 8888 } },
              },
            },
          ],
        },
        logs: { level: 'info' },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: listen(JAEGER_HEALTH_PORT) } },
      jaeger_query: {
        storage: { traces: STORAGE },
        http: { endpoint: listen(COMPONENTS.jaeger.port), ...queryTls },
        grpc: { endpoint: listen(JAEGER_QUERY_GRPC_PORT), ...queryTls },
      },
      jaeger_storage: { backends: { [STORAGE]: backend } },
    },
    receivers: { otlp: otlpReceiver(model, 'jaeger') },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: STORAGE } },
  };
}

export function renderJaegerConfig(model: StackModel): string {
  return renderYaml(jaegerConfig(model), `Jaeger v2 configuration, profile ${model.profile}`);
}
